// The marketing system's records as a city or hall manager reads them: how many applications
// came through the counter, self-service terminals, 网上国网 and 掌上电力 (day by day), who the
// customers were by class, how the counter applications matched the queue tickets and what that
// says about true handling times per business, and the clerks' class-weighted volume. For the
// province: the WebService's connection and feeds, and the archive differences to approve.
import { ref, reactive, computed, onMounted, onBeforeUnmount, ElMessage, ElMessageBox, fixed, percent, EChart, loadBusinessNames, businessName } from './shared.js';

// The Beijing date `n` days before today.
const daysAgo = (n) => new Date(Date.now() + 480 * 60000 - n * 86400000).toISOString().slice(0, 10);
const channels = ['counter', 'self_service', 'online', 'mobile'];
const linkTag = { linked: 'success', unmatched: 'danger', waiting: 'warning', not_counter: 'info' };
const changeTag = { applied: 'success', pending: 'warning', deleted: 'info', deactivated: 'info', rejected: 'info', refused: 'danger' };

const MarketingPage = {
  components: { EChart },
  props: { principal: Object },
  setup(props) {
    const province = computed(() => props.principal.scope === 'province');
    const mayDecide = computed(() => province.value && ['province_admin', 'data_clerk'].includes(props.principal.role));
    const tab = ref('summary');
    const form = reactive({ from: daysAgo(6), to: api.today() });
    const summary = ref(null);
    const feeds = ref(null);
    const applications = ref({ items: [], total: 0 });
    const list = reactive({ link_state: '', page: 1 });
    const changes = ref({ items: [], total: 0 });
    const changeState = ref('pending');
    let timer = null;
    const range = () => `from=${form.from}&to=${form.to}`;
    const fail = (e) => { if (e instanceof api.ApiError) ElMessage.error(e.message); };

    async function loadSummary() {
      try { summary.value = await api.get('/api/v1/marketing/summary?' + range()); } catch (e) { fail(e); }
    }
    async function loadFeeds() {
      if (!province.value) return;
      try { feeds.value = await api.get('/api/v1/marketing/feeds'); } catch (e) { fail(e); }
    }
    async function loadApplications() {
      const state = list.link_state ? '&link_state=' + list.link_state : '';
      try {
        applications.value = await api.get(`/api/v1/marketing/applications?${range()}${state}&limit=20&offset=${(list.page - 1) * 20}`);
      } catch (e) { fail(e); }
    }
    async function loadChanges() {
      try { changes.value = await api.get('/api/v1/marketing/archive-changes?limit=100' + (changeState.value ? '&state=' + changeState.value : '')); } catch (e) { fail(e); }
    }
    async function decide(change, approve) {
      try {
        await ElMessageBox.confirm(t(approve ? 'approveRetirement' : 'rejectRetirement', { code: change.code }), t('archiveChanges'), { type: 'warning' });
        const decided = await api.post(`/api/v1/marketing/archive-changes/${change.id}/${approve ? 'approve' : 'reject'}`, {});
        ElMessage.success(t('change_' + decided.state) + (decided.detail ? '：' + decided.detail : ''));
        await loadChanges();
      } catch (e) { fail(e); }
    }
    function refresh() {
      loadSummary();
      loadFeeds();
      if (tab.value === 'applications') loadApplications();
      if (tab.value === 'archive') loadChanges();
    }

    const channelTotal = computed(() => channels.reduce((n, c) => n + ((summary.value && summary.value.channels[c]) || 0), 0));
    const onlineShare = computed(() => {
      const s = summary.value && summary.value.channels;
      return s && channelTotal.value ? ((s.online || 0) + (s.mobile || 0)) / channelTotal.value : null;
    });
    const linking = computed(() => (summary.value && summary.value.linking) || {});
    const linkedShare = computed(() => {
      const l = linking.value;
      const judged = (l.linked || 0) + (l.unmatched || 0);
      return judged ? l.linked / judged : null;
    });
    const dayChart = computed(() => {
      const days = (summary.value && summary.value.days) || [];
      return {
        tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 40, right: 10, top: 40, bottom: 30 },
        xAxis: { type: 'category', data: days.map((d) => d.day.slice(5)) },
        yAxis: { type: 'value', minInterval: 1 },
        series: channels.map((c) => ({ name: t('channel_' + c), type: 'bar', stack: 'all', data: days.map((d) => d[c]) })),
      };
    });
    const classChart = computed(() => ({
      tooltip: { trigger: 'item' },
      series: [{ type: 'pie', radius: ['40%', '70%'], label: { formatter: '{b}\n{c}' },
        data: ((summary.value && summary.value.classes) || []).map((c) => ({ name: t('class_' + c.class), value: c.applications })) }],
    }));
    const connection = computed(() => feeds.value && feeds.value.connection);

    onMounted(() => {
      loadBusinessNames();
      refresh();
      timer = setInterval(refresh, 30000);
    });
    onBeforeUnmount(() => clearInterval(timer));
    return {
      t, tab, form, summary, feeds, applications, list, changes, changeState, province, mayDecide, channels, linkTag, changeTag,
      channelTotal, onlineShare, linking, linkedShare, dayChart, classChart, connection,
      refresh, loadApplications, loadChanges, decide, businessName, fixed, percent, localTime: api.localTime,
    };
  },
  template: `
  <div class="marketing">
    <div class="toolbar">
      <el-date-picker v-model="form.from" type="date" value-format="YYYY-MM-DD" :clearable="false" size="small" style="width: 140px" />
      <span>—</span>
      <el-date-picker v-model="form.to" type="date" value-format="YYYY-MM-DD" :clearable="false" size="small" style="width: 140px" />
      <el-button size="small" type="primary" @click="refresh" data-testid="marketing-query">{{ t('query') }}</el-button>
    </div>
    <el-alert v-if="province && feeds && !feeds.configured" type="info" :closable="false" :title="t('marketingNotConfigured')" />
    <el-alert v-else-if="connection && !connection.up" type="error" :closable="false" data-testid="marketing-down"
      :title="t('marketingDown', { why: connection.last_down_reason })" />
    <el-tabs v-model="tab" @tab-change="refresh">
      <el-tab-pane :label="t('marketingSummary')" name="summary">
        <div v-if="summary" class="tiles" data-testid="marketing-summary">
          <div class="tile"><div class="tile-label">{{ t('applications') }}</div><div class="tile-value">{{ channelTotal }}</div>
            <div class="muted">{{ t('onlineShare') }} {{ percent(onlineShare) }}</div></div>
          <div class="tile" v-for="c in channels" :key="c"><div class="tile-label">{{ t('channel_' + c) }}</div>
            <div class="tile-value">{{ summary.channels[c] || 0 }}</div></div>
          <div class="tile" data-testid="marketing-linking"><div class="tile-label">{{ t('ticketLinking') }}</div>
            <div class="tile-value">{{ percent(linkedShare) }}</div>
            <div class="muted">{{ t('linkingCounts', { linked: linking.linked || 0, unmatched: linking.unmatched || 0, waiting: linking.waiting || 0 }) }}</div>
            <div class="muted">{{ t('ticketsWithout', { n: linking.tickets_without_application || 0, of: linking.tickets_served || 0 }) }}</div></div>
        </div>
        <div v-if="summary" class="charts-2">
          <el-card shadow="never"><template #header>{{ t('channelByDay') }}</template><e-chart :option="dayChart" height="260px" /></el-card>
          <el-card shadow="never"><template #header>{{ t('customerClasses') }}</template><e-chart :option="classChart" height="260px" />
            <div class="muted class-weights">
              <span v-for="c in summary.classes" :key="c.class">{{ t('class_' + c.class) }}：{{ c.customers }} {{ t('customersUnit') }}<template v-if="c.weight">，{{ t('weight') }} {{ fixed(c.weight, 1) }}</template></span>
            </div></el-card>
        </div>
        <el-card v-if="summary" shadow="never" class="report-card">
          <template #header>{{ t('handlingByBusiness') }} <span class="muted">{{ t('handlingNote') }}</span></template>
          <el-table :data="summary.handling" size="small" :empty-text="t('noData')" data-testid="marketing-handling">
            <el-table-column :label="t('business')" min-width="110"><template #default="s">{{ s.row.name }}</template></el-table-column>
            <el-table-column prop="applications" :label="t('applications')" width="80" align="right" />
            <el-table-column :label="t('meanHandlingMin')" width="100" align="right"><template #default="s">{{ fixed(s.row.mean_handling_min) }}</template></el-table-column>
            <el-table-column :label="t('targetMin')" width="80" align="right" class-name="wide-only" label-class-name="wide-only"><template #default="s">{{ s.row.target_min ?? '—' }}</template></el-table-column>
          </el-table>
        </el-card>
        <el-card v-if="summary" shadow="never" class="report-card">
          <template #header>{{ t('clerkWeighted') }} <span class="muted">{{ t('clerkWeightedNote') }}</span></template>
          <el-table :data="summary.clerks" size="small" :empty-text="t('noData')" data-testid="marketing-clerks">
            <el-table-column :label="t('clerk')" min-width="110"><template #default="s">{{ s.row.name || s.row.staff_no }} <span class="muted">{{ s.row.staff_no }}</span></template></el-table-column>
            <el-table-column prop="applications" :label="t('applications')" width="80" align="right" />
            <el-table-column prop="premium" :label="t('class_premium')" width="70" align="right" class-name="wide-only" label-class-name="wide-only" />
            <el-table-column :label="t('weightedVolume')" width="90" align="right"><template #default="s">{{ fixed(s.row.weighted) }}</template></el-table-column>
          </el-table>
        </el-card>
      </el-tab-pane>
      <el-tab-pane :label="t('applicationList')" name="applications">
        <div class="notice-filter">
          <el-radio-group v-model="list.link_state" size="small" @change="list.page = 1; loadApplications()">
            <el-radio-button label="">{{ t('all') }}</el-radio-button>
            <el-radio-button v-for="s in ['linked', 'unmatched', 'waiting', 'not_counter']" :key="s" :label="s">{{ t('link_' + s) }}</el-radio-button>
          </el-radio-group>
          <span class="muted">{{ t('count', { n: applications.total }) }}</span>
        </div>
        <el-table :data="applications.items" size="small" :empty-text="t('noData')" data-testid="marketing-applications">
          <el-table-column :label="t('acceptedAt')" width="110"><template #default="s">{{ localTime(s.row.accepted_at, 480, true) }}</template></el-table-column>
          <el-table-column :label="t('business')" min-width="100"><template #default="s">{{ s.row.business_name || businessName(s.row.business) }}</template></el-table-column>
          <el-table-column :label="t('customer')" min-width="110"><template #default="s">{{ s.row.customer_name || s.row.customer_no }}
            <el-tag v-if="s.row.class" size="small" :type="s.row.class === 'premium' ? 'warning' : 'info'">{{ t('class_' + s.row.class) }}</el-tag></template></el-table-column>
          <el-table-column :label="t('channel')" width="80"><template #default="s">{{ t('channel_' + s.row.channel) }}</template></el-table-column>
          <el-table-column :label="t('hallName')" min-width="110" class-name="wide-only" label-class-name="wide-only"><template #default="s">{{ s.row.hall_name || '—' }}</template></el-table-column>
          <el-table-column :label="t('clerk')" width="90" class-name="wide-only" label-class-name="wide-only"><template #default="s">{{ s.row.clerk_name || s.row.staff_no || '—' }}</template></el-table-column>
          <el-table-column :label="t('ticket')" width="110"><template #default="s">
            <el-tag size="small" :type="linkTag[s.row.link_state]">{{ s.row.ticket || t('link_' + s.row.link_state) }}</el-tag>
            <span v-if="s.row.handling_min !== null" class="muted"> {{ fixed(s.row.handling_min) }} {{ t('minutesShort') }}</span></template></el-table-column>
        </el-table>
        <el-pagination v-if="applications.total > 20" layout="prev, pager, next" :total="applications.total" :page-size="20" v-model:current-page="list.page" @current-change="loadApplications" small />
      </el-tab-pane>
      <el-tab-pane :label="t('archiveChanges')" name="archive">
        <div class="notice-filter">
          <el-radio-group v-model="changeState" size="small" @change="loadChanges">
            <el-radio-button label="">{{ t('all') }}</el-radio-button>
            <el-radio-button v-for="s in ['pending', 'applied', 'refused', 'deactivated', 'deleted', 'rejected']" :key="s" :label="s">{{ t('change_' + s) }}</el-radio-button>
          </el-radio-group>
          <span class="muted">{{ t('count', { n: changes.total }) }}</span>
        </div>
        <div v-if="!changes.items.length" class="muted">{{ t('noData') }}</div>
        <el-card v-for="c in changes.items" :key="c.id" shadow="never" class="emergency-card" :data-testid="'archive-change-' + c.id">
          <template #header>
            <el-tag size="small" :type="changeTag[c.state]">{{ t('change_' + c.state) }}</el-tag>
            <b>{{ t('kind_' + c.kind) }} {{ (c.after || c.before || {}).name || c.code }}</b> <span class="muted">{{ c.code }} · {{ t('changeKind_' + c.change) }}</span>
          </template>
          <div v-if="c.change === 'changed'" class="card-line">
            <span v-for="(v, k) in c.after" :key="k"><template v-if="c.before && c.before[k] !== v">{{ t('field_' + k) }}：<s class="muted">{{ c.before[k] || '—' }}</s> → {{ v || '—' }}；</template></span>
          </div>
          <div v-else-if="c.change === 'retired'" class="card-line">{{ c.after ? t('retiredThere') : t('notListedThere') }}</div>
          <div class="card-line muted">{{ localTime(c.found_at, 480, true) }}<template v-if="c.decided_by"> · {{ c.decided_by }} {{ localTime(c.decided_at, 480, true) }}</template><template v-if="c.detail"> · {{ c.detail }}</template></div>
          <div v-if="c.state === 'pending' && mayDecide" class="card-actions">
            <el-button size="small" type="danger" plain @click="decide(c, true)" :data-testid="'approve-' + c.id">{{ t('approveRetire') }}</el-button>
            <el-button size="small" @click="decide(c, false)" :data-testid="'reject-' + c.id">{{ t('keepRecord') }}</el-button>
          </div>
        </el-card>
      </el-tab-pane>
      <el-tab-pane v-if="province" :label="t('marketingFeeds')" name="feeds">
        <div v-if="connection" class="card-line" data-testid="marketing-connection">
          <el-tag :type="connection.up ? 'success' : 'danger'">{{ connection.up ? t('commUp') : t('commDown') }}</el-tag>
          {{ connection.peer }} · {{ t('circuit_' + connection.circuit) }}
        </div>
        <el-table v-if="feeds" :data="feeds.feeds" size="small" :empty-text="t('noData')">
          <el-table-column :label="t('feed')" min-width="90"><template #default="s">{{ t('feed_' + s.row.entity) }}</template></el-table-column>
          <el-table-column prop="records" :label="t('records')" width="80" align="right" />
          <el-table-column prop="rejected" :label="t('rejectedRecords')" width="70" align="right" />
          <el-table-column :label="t('syncedAt')" width="170"><template #default="s">{{ s.row.synced_at ? localTime(s.row.synced_at, 480, true) : '—' }}</template></el-table-column>
        </el-table>
        <template v-if="feeds && feeds.rejected.length">
          <h4>{{ t('lastRejected') }}</h4>
          <el-table :data="feeds.rejected" size="small">
            <el-table-column :label="t('feed')" width="90"><template #default="s">{{ t('feed_' + s.row.entity) }}</template></el-table-column>
            <el-table-column prop="key" :label="t('code')" width="130" />
            <el-table-column prop="reason" :label="t('reason')" min-width="160" />
          </el-table>
        </template>
        <template v-if="feeds && feeds.comm_events.length">
          <h4>{{ t('commHistory') }}</h4>
          <div v-for="e in feeds.comm_events" :key="e.at + e.state" class="card-line">
            <el-tag size="small" :type="e.state === 'up' ? 'success' : 'danger'">{{ e.state === 'up' ? t('commUp') : t('commDown') }}</el-tag>
            {{ localTime(e.at, 480, true) }} <span class="muted">{{ e.detail }}</span>
          </div>
        </template>
      </el-tab-pane>
    </el-tabs>
  </div>`,
};

export default MarketingPage;
