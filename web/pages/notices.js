// Notices on the halls' screens and LED boards, as a duty officer publishes them: to one hall,
// a city or the province (as far as the signed-in scope reaches), with a priority and a validity
// in Beijing time; the list of notices with where each stands in the halls (showing, being sent,
// not delivered) and a withdrawal that brings the next notice in line back to the screens.
import { ref, reactive, computed, onMounted, onBeforeUnmount, ElMessage, ElMessageBox } from './shared.js';

const stateTag = { current: 'success', scheduled: 'warning', expired: 'info', withdrawn: 'info' };
const priorityTag = { normal: 'info', important: 'warning', urgent: 'danger' };
const commandTag = { queued: 'info', sent: 'warning', done: 'success', refused: 'danger', unsupported: 'danger', failed: 'danger', expired: 'danger' };

const NoticesPage = {
  props: { principal: Object },
  setup(props) {
    const scope = computed(() => props.principal.scope);
    const ownCode = computed(() => scope.value.split(':')[1] || '');
    const mayPublish = computed(() => ['province_admin', 'city_manager', 'hall_manager'].includes(props.principal.role));
    // The reaches a scope may publish to: the province's all three, a city's its halls, a hall itself.
    const levels = computed(() => (scope.value === 'province' ? ['province', 'city', 'hall'] : scope.value.startsWith('city:') ? ['city', 'hall'] : ['hall']));
    const notices = ref([]);
    const total = ref(0);
    const state = ref('');
    const cities = ref([]);
    const halls = ref([]);
    const details = reactive({});  // id → the notice with its deliveries, when opened
    const form = reactive({ level: 'hall', city: '', hall: '', text: '', priority: 'normal', display: 'all', timing: 'minutes', minutes: 60, from: '', until: '' });
    const bytes = computed(() => new TextEncoder().encode(form.text).length);
    let timer = null;

    async function load() {
      try {
        const answer = await api.get('/api/v1/notices?limit=200' + (state.value ? '&state=' + state.value : ''));
        notices.value = answer.items;
        total.value = answer.total;
        for (const id of Object.keys(details)) if (details[id]) details[id] = await api.get('/api/v1/notices/' + id);
      } catch (e) {
        if (e instanceof api.ApiError) ElMessage.error(e.message);
      }
    }
    async function loadPlaces() {
      const [c, h] = await Promise.all([api.get('/api/v1/cities'), api.get('/api/v1/halls?limit=1000')]);
      cities.value = scope.value.startsWith('city:') ? c.items.filter((x) => x.code === ownCode.value) : c.items;
      halls.value = h.items;
      form.level = levels.value[0];
      if (scope.value.startsWith('city:')) form.city = ownCode.value;
      if (scope.value.startsWith('hall:')) form.hall = ownCode.value;
    }
    // Beijing time from the pickers ("2026-12-05T08:00:00") as an instant halld reads.
    const beijing = (local) => local + '+08:00';
    async function publish() {
      if (!form.text.trim()) return ElMessage.error(t('noticeTextNeeded'));
      if (bytes.value > 255) return ElMessage.error(t('noticeTooLong'));
      const query = form.level === 'hall' ? '?hall=' + encodeURIComponent(form.hall) : form.level === 'city' ? '?city=' + encodeURIComponent(form.city) : '';
      if ((form.level === 'hall' && !form.hall) || (form.level === 'city' && !form.city)) return ElMessage.error(t('chooseReach'));
      const body = { text: form.text.trim(), priority: form.priority, display: form.display };
      if (form.timing === 'minutes') {
        body.minutes = form.minutes;
      } else {
        if (!form.until) return ElMessage.error(t('chooseUntil'));
        if (form.from) body.valid_from = beijing(form.from);
        body.valid_until = beijing(form.until);
      }
      try {
        const notice = await api.post('/api/v1/notices' + query, body);
        ElMessage.success(t('noticePublished', { n: notice.halls.reached }));
        form.text = '';
        details[notice.id] = notice;
        await load();
      } catch (e) {
        if (e instanceof api.ApiError) ElMessage.error(e.message);
      }
    }
    async function withdraw(notice) {
      try {
        const { value } = await ElMessageBox.prompt(t('withdrawWhy'), t('withdraw'), { inputValidator: (v) => !!(v && v.trim()) });
        await api.post(`/api/v1/notices/${notice.id}/withdraw`, { reason: value.trim() });
        ElMessage.success(t('noticeWithdrawn'));
        await load();
      } catch (e) {
        if (e instanceof api.ApiError) ElMessage.error(e.message);
      }
    }
    async function toggle(notice) {
      details[notice.id] = details[notice.id] ? null : await api.get('/api/v1/notices/' + notice.id);
    }
    // Whether the signed-in scope holds all a notice reaches (the server decides either way).
    function mayWithdraw(n) {
      if (!mayPublish.value || (n.state !== 'current' && n.state !== 'scheduled')) return false;
      if (scope.value === 'province') return true;
      if (scope.value.startsWith('city:')) return (n.level === 'city' && n.code === ownCode.value) || (n.level === 'hall' && halls.value.some((h) => h.code === n.code));
      return n.level === 'hall' && n.code === ownCode.value;
    }
    const cityHalls = computed(() => halls.value);
    onMounted(async () => {
      await Promise.all([load(), loadPlaces()]);
      timer = setInterval(load, 5000);
    });
    onBeforeUnmount(() => clearInterval(timer));
    return {
      t, notices, total, state, cities, cityHalls, levels, form, bytes, details, mayPublish, publish, withdraw, toggle, mayWithdraw,
      load, stateTag, priorityTag, commandTag, localTime: api.localTime,
    };
  },
  template: `
  <div class="notices">
    <el-card v-if="mayPublish" shadow="never" class="emergency-card" data-testid="notice-form">
      <template #header>{{ t('publishNotice') }}</template>
      <el-form label-position="top">
        <el-form-item :label="t('reach')">
          <el-radio-group v-model="form.level">
            <el-radio-button v-for="l in levels" :key="l" :label="l">{{ t('reach_' + l) }}</el-radio-button>
          </el-radio-group>
        </el-form-item>
        <el-form-item v-if="form.level === 'city'" :label="t('city')">
          <el-select v-model="form.city" filterable data-testid="notice-city"><el-option v-for="c in cities" :key="c.code" :label="c.name" :value="c.code" /></el-select>
        </el-form-item>
        <el-form-item v-if="form.level === 'hall'" :label="t('hallName')">
          <el-select v-model="form.hall" filterable data-testid="notice-hall"><el-option v-for="h in cityHalls" :key="h.code" :label="h.name + '（' + h.code + '）'" :value="h.code" /></el-select>
        </el-form-item>
        <el-form-item :label="t('noticeText') + '（' + bytes + ' / 255 ' + t('bytes') + '）'">
          <el-input v-model="form.text" type="textarea" :rows="2" :placeholder="t('noticeHint')" data-testid="notice-text" />
        </el-form-item>
        <el-form-item :label="t('priority')">
          <el-radio-group v-model="form.priority">
            <el-radio-button v-for="p in ['normal', 'important', 'urgent']" :key="p" :label="p">{{ t('priority_' + p) }}</el-radio-button>
          </el-radio-group>
        </el-form-item>
        <el-form-item :label="t('displayOn')">
          <el-radio-group v-model="form.display">
            <el-radio-button v-for="d in ['all', 'screens', 'led_boards']" :key="d" :label="d">{{ t('display_' + d) }}</el-radio-button>
          </el-radio-group>
        </el-form-item>
        <el-form-item :label="t('validity')">
          <el-radio-group v-model="form.timing" class="notice-timing">
            <el-radio label="minutes">{{ t('fromNowFor') }}</el-radio>
            <el-radio label="period">{{ t('fromTo') }}</el-radio>
          </el-radio-group>
          <div v-if="form.timing === 'minutes'" class="notice-when">
            <el-input-number v-model="form.minutes" :min="1" :max="44640" :step="30" data-testid="notice-minutes" /> {{ t('minutes') }}
          </div>
          <div v-else class="notice-when">
            <el-date-picker v-model="form.from" type="datetime" value-format="YYYY-MM-DDTHH:mm:ss" :placeholder="t('startsNow')" />
            <el-date-picker v-model="form.until" type="datetime" value-format="YYYY-MM-DDTHH:mm:ss" :placeholder="t('until')" />
          </div>
        </el-form-item>
        <el-button type="primary" @click="publish" data-testid="notice-publish">{{ t('publish') }}</el-button>
      </el-form>
    </el-card>
    <div class="notice-filter">
      <el-radio-group v-model="state" size="small" @change="load">
        <el-radio-button label="">{{ t('all') }}</el-radio-button>
        <el-radio-button v-for="s in ['current', 'scheduled', 'expired', 'withdrawn']" :key="s" :label="s">{{ t('notice_' + s) }}</el-radio-button>
      </el-radio-group>
      <span class="muted">{{ t('count', { n: total }) }}</span>
    </div>
    <div v-if="!notices.length" class="muted">{{ t('noData') }}</div>
    <el-card v-for="n in notices" :key="n.id" shadow="never" class="emergency-card" :data-testid="'notice-' + n.id">
      <template #header>
        <el-tag size="small" :type="stateTag[n.state]">{{ t('notice_' + n.state) }}</el-tag>
        <el-tag size="small" :type="priorityTag[n.priority]">{{ t('priority_' + n.priority) }}</el-tag>
        <b>{{ n.reach_name }}</b>
        <span class="muted" v-if="n.emergency_id"> · {{ t('fromEmergency') }} #{{ n.emergency_id }}</span>
      </template>
      <div class="notice-text">{{ n.text }}</div>
      <div class="card-line muted">{{ localTime(n.valid_from, 480, true) }} — {{ localTime(n.valid_until, 480, true) }} · {{ t('display_' + n.display) }} · {{ n.published_by }}</div>
      <div class="card-line">{{ t('noticeHalls', n.halls) }}</div>
      <div v-if="n.state === 'withdrawn'" class="card-line muted">{{ t('withdrawnBy', { who: n.withdrawn_by, at: localTime(n.withdrawn_at, 480, true), why: n.withdraw_reason }) }}</div>
      <div class="card-actions">
        <el-button size="small" @click="toggle(n)" :data-testid="'notice-details-' + n.id">{{ details[n.id] ? t('hideDeliveries') : t('deliveries') }}</el-button>
        <el-button v-if="mayWithdraw(n)" size="small" type="danger" plain @click="withdraw(n)" :data-testid="'notice-withdraw-' + n.id">{{ t('withdraw') }}</el-button>
      </div>
      <el-table v-if="details[n.id]" :data="details[n.id].deliveries" size="small" :empty-text="t('noDeliveries')">
        <el-table-column prop="hall_name" :label="t('hallName')" min-width="120" />
        <el-table-column :label="t('action')" width="90"><template #default="s">{{ t('delivery_' + s.row.action) }}</template></el-table-column>
        <el-table-column :label="t('state')" width="90"><template #default="s"><el-tag v-if="s.row.command_state" size="small" :type="commandTag[s.row.command_state]">{{ t('cmdstate_' + s.row.command_state) }}</el-tag></template></el-table-column>
        <el-table-column :label="t('at')" width="110"><template #default="s">{{ localTime(s.row.at) }}</template></el-table-column>
        <el-table-column prop="detail" :label="t('detail')" min-width="140" />
      </el-table>
    </el-card>
  </div>`,
};

export default NoticesPage;
