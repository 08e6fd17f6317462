// Emergencies as a hall manager runs them from the hall floor (phone first): what is suggested
// and under way, each plan's checklist (halld's own steps with the hall's answers, people's steps
// to confirm), closing with the outcome; work orders to answer or review; the record and its
// export; the plans and how often they worked.
import { ref, reactive, computed, onMounted, onBeforeUnmount, nextTick, ElMessage, ElMessageBox, fixed } from './shared.js';
import PlanEditor from './plan_editor.js';

const stepTag = { pending: 'info', running: 'warning', done: 'success', failed: 'danger', skipped: 'info' };
const stateTag = { suggested: 'warning', active: 'danger', closed: 'success', dismissed: 'info' };

const EmergenciesPage = {
  components: { PlanEditor },
  props: { principal: Object },
  setup(props) {
    const tab = ref('open');
    const open = ref([]);
    const records = reactive({});  // id → whole record, for the cards shown
    const orders = ref([]);
    const history = ref([]);
    const plans = ref([]);
    const eventTypes = ref([]);
    const editing = reactive({ visible: false, plan: null });
    const mayEditPlans = computed(() => props.principal && props.principal.role === 'province_admin');
    const statistics = ref([]);
    const dissatisfaction = ref(null);  // the last 30 days' analysis
    const manual = reactive({ plan: null, hall: '', content: '' });
    const closing = reactive({ visible: false, id: 0, outcome: 'resolved', result: '', nature: 'general' });
    const answering = reactive({ visible: false, id: 0, cause: 'staffing', measures: '' });
    const mayReview = computed(() => props.principal && !props.principal.scope.startsWith('hall:'));
    const ownHall = computed(() => (props.principal && props.principal.scope.startsWith('hall:') ? props.principal.scope.slice(5) : ''));
    let timer = null;

    async function refreshOpen() {
      try {
        open.value = (await api.get('/api/v1/emergencies?state=open')).items;
        for (const e of open.value) records[e.id] = await api.get('/api/v1/emergencies/' + e.id);
      } catch (e) {
        if (e instanceof api.ApiError) ElMessage.error(e.message);
      }
    }
    async function loadOrders() { orders.value = (await api.get('/api/v1/work-orders?limit=200')).items; }
    async function loadHistory() { history.value = (await api.get('/api/v1/emergencies?limit=200')).items; }
    async function loadPlans() {
      const [list, stats, analysis] = await Promise.all([api.get('/api/v1/emergency-plans'), api.get('/api/v1/emergency-plan-statistics'), api.get('/api/v1/dissatisfaction')]);
      plans.value = list.items;
      eventTypes.value = list.event_types;
      statistics.value = stats.items;
      dissatisfaction.value = analysis;
    }
    async function act(path, body, message) {
      try {
        const answer = await api.post(path, body);
        if (answer && answer.id) records[answer.id] = answer;
        ElMessage.success(message || t('done'));
        await refreshOpen();
        return true;
      } catch (e) {
        if (e instanceof api.ApiError) ElMessage.error(e.message);
        return false;
      }
    }
    const start = (e) => act(`/api/v1/emergencies/${e.id}/start`, undefined, t('planStarted'));
    async function dismiss(e) {
      try {
        const { value } = await ElMessageBox.prompt(t('dismissWhy'), t('dismiss'), { inputValidator: (v) => !!(v && v.trim()) });
        await act(`/api/v1/emergencies/${e.id}/dismiss`, { result: value });
      } catch { /* cancelled */ }
    }
    async function finishStep(e, step, state) {
      try {
        const { value } = await ElMessageBox.prompt(t('stepResult'), step.params.description, { inputValue: '' });
        await act(`/api/v1/emergencies/${e.id}/steps/${step.position}`, { state, result: value || '' });
      } catch { /* cancelled */ }
    }
    function askClose(e) { Object.assign(closing, { visible: true, id: e.id, outcome: 'resolved', result: '', nature: 'general' }); }
    async function close() {
      if (!closing.result.trim()) return ElMessage.error(t('resultNeeded'));
      if (await act(`/api/v1/emergencies/${closing.id}/close`, { outcome: closing.outcome, result: closing.result, nature: closing.nature }, t('closedRecord'))) {
        closing.visible = false;
        delete records[closing.id];
      }
    }
    async function startManually() {
      const hall = manual.hall || ownHall.value;
      if (!manual.plan || !hall) return ElMessage.error(t('planAndHall'));
      try {
        await api.post(`/api/v1/halls/${encodeURIComponent(hall)}/emergencies`, { plan: manual.plan, content: manual.content });
        ElMessage.success(t('planStarted'));
        await refreshOpen();
      } catch (e) {
        if (e instanceof api.ApiError) ElMessage.error(e.message);
      }
    }
    function askAnswer(order) { Object.assign(answering, { visible: true, id: order.id, cause: 'staffing', measures: '' }); }
    async function answer() {
      try {
        await api.post(`/api/v1/work-orders/${answering.id}/answer`, { cause: answering.cause, measures: answering.measures });
        answering.visible = false;
        ElMessage.success(t('done'));
        await loadOrders();
      } catch (e) {
        if (e instanceof api.ApiError) ElMessage.error(e.message);
      }
    }
    async function review(order, verdict) {
      try {
        const { value } = await ElMessageBox.prompt(t('reviewNote'), t(verdict === 'accept' ? 'accept' : 'sendBack'), { inputValue: '' });
        await api.post(`/api/v1/work-orders/${order.id}/review`, { verdict, review: value || '' });
        await loadOrders();
      } catch (e) {
        if (e instanceof api.ApiError) ElMessage.error(e.message);
      }
    }
    const overdueSteps = (e) => (records[e.id] ? records[e.id].steps.filter((s) => s.overdue).length : 0);
    const exportUrl = (format) => '/api/v1/emergencies?format=' + format + '&limit=1000';
    const figure = (indicators, name) => (indicators ? fixed(indicators[name], 0) : '—');
    // The editor is one dialog for every plan: a click that lands while it is still closing from
    // the last save must open it again with this plan, not leave it half shown.
    async function editPlan(plan) {
      editing.visible = false;
      await nextTick();
      Object.assign(editing, { visible: true, plan });
    }
    function onTab(name) {
      if (name === 'orders') loadOrders();
      if (name === 'history') loadHistory();
      if (name === 'plans') loadPlans();
    }
    onMounted(async () => {
      await Promise.all([refreshOpen(), loadPlans()]);
      timer = setInterval(() => tab.value === 'open' && refreshOpen(), 3000);
    });
    onBeforeUnmount(() => clearInterval(timer));
    const causes = ['staffing', 'business_surge', 'system_fault', 'complex_business', 'clerk_skill', 'other'];
    return {
      t, tab, open, records, orders, history, plans, statistics, dissatisfaction, manual, closing, answering, mayReview, ownHall, causes,
      start, dismiss, finishStep, askClose, close, startManually, askAnswer, answer, review, overdueSteps, exportUrl,
      figure, onTab, stepTag, stateTag, fixed, localTime: api.localTime, eventTypes, editing, mayEditPlans, editPlan, loadPlans,
    };
  },
  template: `
  <div class="emergencies">
    <el-tabs v-model="tab" @tab-change="onTab">
      <el-tab-pane :label="t('underWay')" name="open">
        <div v-if="!open.length" class="empty" data-testid="no-emergency">{{ t('noEmergency') }}</div>
        <el-card v-for="e in open" :key="e.id" class="emergency-card" :data-testid="'emergency-' + e.id" shadow="never">
          <template #header>
            <div class="card-head">
              <el-tag :type="stateTag[e.state]" effect="dark">{{ t('emergency_' + e.state) }}</el-tag>
              <b>{{ e.hall_name }}</b>
              <span>{{ e.event_type_name }} · {{ e.plan_name }}</span>
              <el-tag v-if="overdueSteps(e)" type="danger">{{ t('overdue') }} {{ overdueSteps(e) }}</el-tag>
            </div>
          </template>
          <div class="card-line">{{ e.content }}</div>
          <div class="card-line muted">{{ t('suggestedAt') }} {{ localTime(e.suggested_at, 480, true) }}<span v-if="e.started_at"> · {{ t('startedAt') }} {{ localTime(e.started_at, 480, true) }}（{{ e.started_by }}）</span></div>
          <div v-if="e.before" class="card-line">{{ t('beforeStart') }}：{{ t('waiting') }} {{ figure(e.before, 'queue_length') }} · {{ t('predictedWait') }} {{ figure(e.before, 'predicted_wait_min') }} · {{ t('openWindows') }} {{ e.before.windows_open }}</div>
          <div v-if="e.state === 'suggested'" class="card-actions">
            <el-button type="danger" :data-testid="'start-' + e.id" @click="start(e)">{{ t('startPlan') }}</el-button>
            <el-button @click="dismiss(e)">{{ t('dismiss') }}</el-button>
          </div>
          <ol v-if="records[e.id]" class="checklist">
            <li v-for="s in records[e.id].steps" :key="s.position" :class="{overdue: s.overdue}" :data-testid="'step-' + e.id + '-' + s.position">
              <div class="step-head">
                <el-tag size="small" :type="stepTag[s.state]">{{ t('step_' + s.state) }}</el-tag>
                <span class="step-text">{{ s.params.description }}</span>
              </div>
              <div class="muted">{{ s.executes ? t('byHalld') : t('byPerson') }}<span v-if="s.due_at"> · {{ t('dueAt') }} {{ localTime(s.due_at) }}</span><span v-if="s.done_by"> · {{ s.done_by }} {{ localTime(s.done_at) }}</span></div>
              <div v-if="s.result" class="step-result">{{ s.result }}</div>
              <div v-if="e.state === 'active' && s.state === 'pending'" class="card-actions">
                <el-button size="small" type="primary" :data-testid="'done-' + e.id + '-' + s.position" @click="finishStep(e, s, 'done')">{{ t('stepDone') }}</el-button>
                <el-button size="small" @click="finishStep(e, s, 'skipped')">{{ t('stepSkip') }}</el-button>
              </div>
            </li>
          </ol>
          <div v-if="e.state === 'active'" class="card-actions">
            <el-button type="success" :data-testid="'close-' + e.id" @click="askClose(e)">{{ t('endHandling') }}</el-button>
          </div>
        </el-card>
        <el-card shadow="never" class="emergency-card">
          <template #header>{{ t('startByHand') }}</template>
          <div class="toolbar">
            <el-select v-model="manual.plan" :placeholder="t('plan')" style="width:220px" data-testid="manual-plan">
              <el-option v-for="p in plans" :key="p.id" :label="p.name + '（' + p.event_type_name + '）'" :value="p.id" />
            </el-select>
            <el-input v-if="!ownHall" v-model="manual.hall" :placeholder="t('hallCode')" style="width:140px" />
            <el-input v-model="manual.content" :placeholder="t('whatHappened')" style="width:240px" />
            <el-button type="danger" @click="startManually">{{ t('startPlan') }}</el-button>
          </div>
        </el-card>
      </el-tab-pane>
      <el-tab-pane :label="t('workOrders')" name="orders">
        <el-table :data="orders" size="small" :empty-text="t('noData')" data-testid="work-orders">
          <el-table-column prop="id" label="#" width="60" />
          <el-table-column prop="hall_name" :label="t('hallName')" min-width="140" />
          <el-table-column prop="rule_name" :label="t('kind')" min-width="120" />
          <el-table-column :label="t('state')" width="90"><template #default="s"><el-tag :type="s.row.overdue ? 'danger' : s.row.state === 'closed' ? 'success' : 'warning'">{{ s.row.overdue ? t('overdue') : t('order_' + s.row.state) }}</el-tag></template></el-table-column>
          <el-table-column :label="t('openedAt')" width="160"><template #default="s">{{ localTime(s.row.opened_at, 480, true) }}</template></el-table-column>
          <el-table-column :label="t('cause')" min-width="160"><template #default="s">{{ s.row.cause ? t('cause_' + s.row.cause) : '' }} {{ s.row.measures }}</template></el-table-column>
          <el-table-column :label="t('actions')" width="170">
            <template #default="s">
              <el-button v-if="s.row.state === 'open'" size="small" type="primary" :data-testid="'answer-' + s.row.id" @click="askAnswer(s.row)">{{ t('answer') }}</el-button>
              <template v-if="s.row.state === 'answered' && mayReview">
                <el-button size="small" type="success" @click="review(s.row, 'accept')">{{ t('accept') }}</el-button>
                <el-button size="small" @click="review(s.row, 'return')">{{ t('sendBack') }}</el-button>
              </template>
            </template>
          </el-table-column>
        </el-table>
      </el-tab-pane>
      <el-tab-pane :label="t('record')" name="history">
        <div class="toolbar">
          <el-button size="small" @click="loadHistory">{{ t('query') }}</el-button>
          <a :href="exportUrl('csv')" download><el-button size="small">{{ t('exportCsv') }}</el-button></a>
          <a :href="exportUrl('xlsx')" download><el-button size="small">{{ t('exportExcel') }}</el-button></a>
        </div>
        <div data-testid="emergency-record">
          <div v-if="!history.length" class="empty">{{ t('noData') }}</div>
          <div v-for="e in history" :key="e.id" class="record-row">
            <div class="card-head">
              <el-tag size="small" :type="stateTag[e.state]">{{ t('emergency_' + e.state) }}</el-tag>
              <b>#{{ e.id }} {{ e.hall_name }}</b>
              <span>{{ e.event_type_name }} · {{ e.plan_name }}（v{{ e.plan_version }}）</span>
            </div>
            <div class="muted">{{ localTime(e.started_at || e.suggested_at, 480, true) }}<span v-if="e.closed_at"> → {{ localTime(e.closed_at, 480, true) }}</span><span v-if="e.closed_by"> · {{ t('by') }} {{ e.closed_by }}</span></div>
            <div v-if="e.after">{{ t('waiting') }} {{ figure(e.before, 'queue_length') }} → {{ figure(e.after, 'queue_length') }} · {{ t('predictedWait') }} {{ figure(e.before, 'predicted_wait_min') }} → {{ figure(e.after, 'predicted_wait_min') }}
              <el-tag size="small" :type="e.effective ? 'success' : 'info'">{{ e.effective ? t('effective') : t('noEffect') }}</el-tag></div>
            <div v-if="e.result">{{ e.outcome && e.outcome !== 'dismissed' ? t('outcome_' + e.outcome) + '：' : '' }}{{ e.result }}</div>
          </div>
        </div>
      </el-tab-pane>
      <el-tab-pane :label="t('plans')" name="plans">
        <el-table :data="statistics" size="small" :empty-text="t('noData')" data-testid="plan-statistics">
          <el-table-column prop="name" :label="t('plan')" min-width="160" />
          <el-table-column prop="version" label="v" width="50" />
          <el-table-column prop="runs" :label="t('runs')" width="70" />
          <el-table-column prop="judged" :label="t('judged')" width="70" />
          <el-table-column prop="effective" :label="t('effective')" width="70" />
          <el-table-column prop="dismissed" :label="t('dismissed')" width="70" />
          <el-table-column :label="t('meanMinutes')" width="100"><template #default="s">{{ fixed(s.row.mean_minutes) }}</template></el-table-column>
        </el-table>
        <el-card v-if="dissatisfaction" shadow="never" class="emergency-card" data-testid="dissatisfaction">
          <template #header>{{ t('dissatisfaction') }}（{{ t('last30Days') }}）：{{ dissatisfaction.dissatisfied }} / {{ dissatisfaction.evaluated }}
            <a href="/api/v1/dissatisfaction?format=csv" download><el-button size="small" text>{{ t('exportCsv') }}</el-button></a></template>
          <div v-if="!dissatisfaction.top.length" class="muted">{{ t('noData') }}</div>
          <div v-for="g in dissatisfaction.top" :key="g.dimension + g.key" class="card-line">
            {{ t('dim_' + g.dimension) }}：<b>{{ g.key || '—' }}</b> · {{ t('dissatisfiedCount') }} {{ g.dissatisfied }}/{{ g.evaluated }}（{{ fixed(g.rate * 100) }}%）· {{ t('excess') }} {{ fixed(g.excess) }}
          </div>
        </el-card>
        <div class="card-actions" v-if="mayEditPlans"><el-button type="primary" size="small" @click="editPlan(null)" data-testid="plan-new">+ {{ t('newPlan') }}</el-button></div>
        <el-collapse>
          <el-collapse-item v-for="p in plans" :key="p.id" :title="p.name + ' · ' + p.event_type_name + ' · v' + p.version + (p.enabled ? '' : ' · ' + t('planDisabled'))">
            <div class="card-line muted">{{ t('appliesTo') }}：{{ p.hall || p.city || t('reach_province') }} · {{ p.auto_start ? t('planAuto') : t('planManualOnly') }} · {{ t('effectAfter') }} {{ p.effect_minutes }}</div>
            <ol><li v-for="(s, i) in p.steps" :key="i">{{ s.description }}（{{ s.executes ? t('byHalld') : t('byPerson') }}，{{ s.time_limit_min }} {{ t('minutes') }}）</li></ol>
            <el-button v-if="mayEditPlans" size="small" @click="editPlan(p)" :data-testid="'plan-edit-' + p.id">{{ t('edit') }}</el-button>
          </el-collapse-item>
        </el-collapse>
        <plan-editor v-model="editing.visible" :plan="editing.plan" :event-types="eventTypes" @saved="loadPlans" />
      </el-tab-pane>
    </el-tabs>
    <el-dialog v-model="closing.visible" :title="t('endHandling')" width="min(92vw, 480px)">
      <el-form label-position="top">
        <el-form-item :label="t('outcome')">
          <el-radio-group v-model="closing.outcome"><el-radio-button label="resolved">{{ t('outcome_resolved') }}</el-radio-button><el-radio-button label="partly">{{ t('outcome_partly') }}</el-radio-button><el-radio-button label="unresolved">{{ t('outcome_unresolved') }}</el-radio-button></el-radio-group>
        </el-form-item>
        <el-form-item :label="t('nature')">
          <el-radio-group v-model="closing.nature"><el-radio-button label="general">{{ t('nature_general') }}</el-radio-button><el-radio-button label="major">{{ t('nature_major') }}</el-radio-button><el-radio-button label="severe">{{ t('nature_severe') }}</el-radio-button></el-radio-group>
        </el-form-item>
        <el-form-item :label="t('resultText')"><el-input v-model="closing.result" type="textarea" :rows="3" data-testid="close-result" /></el-form-item>
      </el-form>
      <template #footer><el-button @click="closing.visible = false">{{ t('back') }}</el-button><el-button type="primary" data-testid="close-confirm" @click="close">{{ t('save') }}</el-button></template>
    </el-dialog>
    <el-dialog v-model="answering.visible" :title="t('answer')" width="min(92vw, 480px)">
      <el-form label-position="top">
        <el-form-item :label="t('cause')"><el-select v-model="answering.cause"><el-option v-for="c in causes" :key="c" :label="t('cause_' + c)" :value="c" /></el-select></el-form-item>
        <el-form-item :label="t('measures')"><el-input v-model="answering.measures" type="textarea" :rows="3" data-testid="answer-measures" /></el-form-item>
      </el-form>
      <template #footer><el-button @click="answering.visible = false">{{ t('back') }}</el-button><el-button type="primary" data-testid="answer-confirm" @click="answer">{{ t('save') }}</el-button></template>
    </el-dialog>
  </div>`,
};

export default EmergenciesPage;
