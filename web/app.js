// The shell: sign-in, the navigation between pages (#/overview, #/hall/CODE, #/alarms,
// #/emergencies, #/notices, #/marketing, #/reports, #/channels, #/admin), the language switch.
import { ref, computed, onMounted } from './pages/shared.js';
import LoginPage from './pages/login.js';
import OverviewPage from './pages/overview.js';
import HallPage from './pages/hall.js';
import AlarmsPage from './pages/alarms.js';
import EmergenciesPage from './pages/emergencies.js';
import NoticesPage from './pages/notices.js';
import MarketingPage from './pages/marketing.js';
import ReportsPage from './pages/reports.js';
import AdminPage from './pages/admin.js';
import ChannelsPage from './pages/channels.js';

const App = {
  components: { LoginPage, OverviewPage, HallPage, AlarmsPage, EmergenciesPage, NoticesPage, MarketingPage, ReportsPage, AdminPage, ChannelsPage },
  setup() {
    const session = ref(null);
    const checked = ref(false);
    const route = ref(location.hash || '#/overview');
    window.addEventListener('hashchange', () => (route.value = location.hash));
    const page = computed(() => route.value.split('/')[1] || 'overview');
    const hallCode = computed(() => decodeURIComponent(route.value.split('/')[2] || ''));
    function signedIn(answer) {
      session.value = answer;
      api.setCsrf(answer.csrf_token);
      if (answer.principal.scope.startsWith('hall:') && page.value === 'overview') location.hash = '#/hall/' + answer.principal.scope.slice(5);
    }
    async function signOut() {
      try { await api.del('/api/v1/session'); } catch { /* ended already */ }
      session.value = null;
      api.setCsrf('');
    }
    api.onSignedOut(() => { session.value = null; });
    onMounted(async () => {
      try { signedIn(await api.get('/api/v1/session')); } catch { session.value = null; }
      checked.value = true;
    });
    const locale = computed(() => (i18n.locale === 'en' ? ElementPlusLocaleEn : ElementPlusLocaleZhCn));
    function switchLanguage() {
      i18n.locale = i18n.locale === 'en' ? 'zh-CN' : 'en';
      localStorage.setItem('halld.locale', i18n.locale);
      document.documentElement.lang = i18n.locale;
      document.title = t('app') + ' · halld';
    }
    // The administration page: everything for the province's administrator, the archives for a
    // data clerk of the province (the server decides either way).
    const isAdmin = computed(() => {
      const principal = session.value && session.value.principal;
      return !!principal && principal.scope === 'province' && ['province_admin', 'data_clerk'].includes(principal.role);
    });
    // The channels are the province's: its users see them, administrators act on them.
    const seesChannels = computed(() => !!session.value && session.value.principal.scope === 'province');
    return { t, scopeText, i18n, session, checked, page, hallCode, signedIn, signOut, locale, switchLanguage, isAdmin, seesChannels };
  },
  template: `
  <el-config-provider :locale="locale">
    <template v-if="checked">
      <login-page v-if="!session" @signed-in="signedIn" />
      <div v-else class="shell">
        <header>
          <span class="brand">{{ t('app') }}</span>
          <nav>
            <a href="#/overview" :class="{active: page === 'overview'}" data-testid="nav-overview">{{ t('overview') }}</a>
            <a href="#/alarms" :class="{active: page === 'alarms'}" data-testid="nav-alarms">{{ t('alarms') }}</a>
            <a href="#/emergencies" :class="{active: page === 'emergencies'}" data-testid="nav-emergencies">{{ t('emergencies') }}</a>
            <a href="#/notices" :class="{active: page === 'notices'}" data-testid="nav-notices">{{ t('notices') }}</a>
            <a href="#/marketing" :class="{active: page === 'marketing'}" data-testid="nav-marketing">{{ t('marketing') }}</a>
            <a href="#/reports" :class="{active: page === 'reports'}" data-testid="nav-reports">{{ t('reports') }}</a>
            <a v-if="seesChannels" href="#/channels" :class="{active: page === 'channels'}" data-testid="nav-channels">{{ t('channelsNav') }}</a>
            <a v-if="isAdmin" href="#/admin" :class="{active: page === 'admin'}" data-testid="nav-admin">{{ t('admin') }}</a>
          </nav>
          <span class="who" data-testid="who">{{ session.principal.name }} · {{ t('role_' + session.principal.role) }} · {{ scopeText(session.principal.scope) }}</span>
          <el-button size="small" text @click="switchLanguage" data-testid="language">{{ t('language') }}</el-button>
          <el-button size="small" @click="signOut" data-testid="sign-out">{{ t('signOut') }}</el-button>
        </header>
        <main>
          <overview-page v-if="page === 'overview'" :principal="session.principal" />
          <hall-page v-else-if="page === 'hall'" :code="hallCode" :principal="session.principal" />
          <alarms-page v-else-if="page === 'alarms'" :principal="session.principal" />
          <emergencies-page v-else-if="page === 'emergencies'" :principal="session.principal" />
          <notices-page v-else-if="page === 'notices'" :principal="session.principal" />
          <marketing-page v-else-if="page === 'marketing'" :principal="session.principal" />
          <reports-page v-else-if="page === 'reports'" :principal="session.principal" />
          <admin-page v-else-if="page === 'admin' && isAdmin" :principal="session.principal" />
          <channels-page v-else-if="page === 'channels' && seesChannels" :principal="session.principal" />
        </main>
      </div>
    </template>
  </el-config-provider>`,
};
const app = Vue.createApp(App);
app.use(ElementPlus);
app.mount('#app');
