// The pages of halld's UI, one Vue component each. Data comes from the JSON API; live pages
// follow WebSocket streams and never reload.
'use strict';
const { ref, reactive, computed, onMounted, onBeforeUnmount, watch, nextTick } = Vue;
const { ElMessage, ElMessageBox } = ElementPlus;

const fixed = (v, digits = 1) => (v === null || v === undefined ? '—' : Number(v).toFixed(digits));
const percent = (v) => (v === null || v === undefined ? '—' : (v * 100).toFixed(1) + '%');

// An ECharts chart that follows its option.
const EChart = {
  props: { option: Object, height: { type: String, default: '300px' } },
  setup(props) {
    const el = ref(null);
    let chart = null;
    const resize = () => chart && chart.resize();
    onMounted(() => {
      chart = echarts.init(el.value);
      chart.setOption(props.option || {});
      window.addEventListener('resize', resize);
    });
    watch(() => props.option, (option) => chart && chart.setOption(option || {}, true), { deep: true });
    onBeforeUnmount(() => { window.removeEventListener('resize', resize); chart && chart.dispose(); });
    return { el };
  },
  template: `<div ref="el" :style="{height, width: '100%'}"></div>`,
};

const LoginPage = {
  emits: ['signed-in'],
  setup(_, { emit }) {
    const form = reactive({ username: '', password: '' });
    const error = ref('');
    const busy = ref(false);
    async function submit() {
      busy.value = true;
      error.value = '';
      try {
        emit('signed-in', await api.post('/api/v1/session', form));
      } catch (e) {
        const wait = e.details && e.details.retry_after_s;
        error.value = e.code === 'throttled' ? t('throttled').replace('{s}', wait)
          : e.code === 'overloaded' ? t('signInBusy')
          : e.code === 'bad_credentials' ? t('badCredentials') : e.message;
      } finally { busy.value = false; }
    }
    return { form, error, busy, submit, t };
  },
  template: `
  <div class="login">
    <el-card class="login-card">
      <h2>{{ t('app') }}</h2>
      <el-form @submit.prevent="submit" label-position="top">
        <el-form-item :label="t('username')"><el-input v-model="form.username" name="username" autocomplete="username" /></el-form-item>
        <el-form-item :label="t('password')"><el-input v-model="form.password" name="password" type="password" autocomplete="current-password" show-password /></el-form-item>
        <el-alert v-if="error" :title="error" type="error" :closable="false" show-icon data-testid="login-error" />
        <el-button type="primary" native-type="submit" :loading="busy" data-testid="sign-in" style="margin-top:12px;width:100%">{{ t('signIn') }}</el-button>
      </el-form>
    </el-card>
  </div>`,
};

// How a hall stands: red for an open critical alarm or lost comm, orange for a queue over its
// target wait or a warning, green otherwise.
function hallColour(hall, alarms) {
  const mine = alarms.filter((a) => a.hall === hall.hall);
  if (hall.comm === 'down' || mine.some((a) => a.severity === 'critical')) return 'red';
  if (mine.length || (hall.predicted_wait_min || 0) > (hall.target_wait_min || 15) || (hall.longest_wait_min || 0) > (hall.target_wait_min || 15)) return 'orange';
  return 'green';
}

const OverviewPage = {
  components: { EChart },
  props: { principal: Object },
  setup() {
    const city = ref('');
    const cities = ref([]);
    const halls = reactive({});      // code -> summary, kept live
    const places = reactive({});     // code -> {latitude, longitude, target_wait_min}
    const alarms = ref([]);
    const connected = ref(false);
    const trend = ref(null);
    let live = null, alarmStream = null;

    async function load() {
      cities.value = (await api.get('/api/v1/cities')).items || [];
      const list = await api.get('/api/v1/halls' + api.query({ city: city.value, limit: 1000 }));
      for (const h of list.items) places[h.code] = h;
      const kpi = await api.get('/api/v1/kpi' + api.query(city.value ? { level: 'city', code: city.value, from: api.today(), to: api.today(), granularity: 'hour' } : { from: api.today(), to: api.today(), granularity: 'hour' }));
      trend.value = kpi;
    }
    function follow() {
      live && live.close();
      alarmStream && alarmStream.close();
      for (const k of Object.keys(halls)) delete halls[k];
      live = api.stream('/api/v1/live/stream' + api.query({ city: city.value }), (m) => {
        if (m.type === 'overview') for (const h of m.overview.halls) halls[h.hall] = h;
        if (m.type === 'summaries') for (const h of m.halls) halls[h.hall] = { ...halls[h.hall], ...h };  // the fields that changed
      }, (up) => (connected.value = up));
      alarmStream = api.stream('/api/v1/alarms/stream' + api.query({ city: city.value }), (m) => {
        if (m.type === 'snapshot') alarms.value = m.alarms;
        if (m.type === 'alarm') {
          alarms.value = alarms.value.filter((a) => a.id !== m.alarm.id);
          if (m.alarm.state === 'raised' || m.alarm.state === 'acknowledged') alarms.value.push(m.alarm);
        }
      });
    }
    const tiles = computed(() => Object.values(halls).map((h) => ({ ...h, target_wait_min: (places[h.hall] || {}).target_wait_min, colour: '' }))
      .map((h) => ({ ...h, colour: hallColour(h, alarms.value), alarms: alarms.value.filter((a) => a.hall === h.hall).length }))
      .sort((a, b) => a.hall.localeCompare(b.hall)));
    const totals = computed(() => tiles.value.reduce((s, h) => ({ waiting: s.waiting + h.waiting, open: s.open + h.open_windows, arrivals: s.arrivals + (h.arrivals_today || 0) }), { waiting: 0, open: 0, arrivals: 0 }));
    const colours = { red: '#d9363e', orange: '#e6a23c', green: '#3c9a5f' };
    const mapOption = computed(() => ({
      tooltip: { formatter: (p) => `${p.data.name}<br>${t('waiting')}: ${p.data.waiting}` },
      xAxis: { type: 'value', scale: true, name: 'E' }, yAxis: { type: 'value', scale: true, name: 'N' },
      series: [{ type: 'scatter', symbolSize: (v) => 10 + Math.min(30, v[2]),
        data: tiles.value.filter((h) => places[h.hall]).map((h) => ({ name: h.name, waiting: h.waiting,
          value: [places[h.hall].longitude, places[h.hall].latitude, h.waiting], itemStyle: { color: colours[h.colour] } })) }],
    }));
    const trendOption = computed(() => {
      const rows = (trend.value && trend.value.series) || [];
      return {
        tooltip: { trigger: 'axis' }, legend: { data: [t('arrivalsToday'), t('avgWait')] },
        xAxis: { type: 'category', data: rows.map((r) => api.localTime(r.from || r.start || r.bucket).slice(0, 5)) },
        yAxis: [{ type: 'value' }, { type: 'value' }],
        series: [{ name: t('arrivalsToday'), type: 'bar', data: rows.map((r) => r.arrivals) },
          { name: t('avgWait'), type: 'line', yAxisIndex: 1, data: rows.map((r) => r.average_wait_min) }],
      };
    });
    watch(city, () => { load(); follow(); });
    onMounted(() => { load(); follow(); });
    onBeforeUnmount(() => { live && live.close(); alarmStream && alarmStream.close(); });
    return { t, city, cities, tiles, totals, connected, mapOption, trendOption, fixed, percent };
  },
  template: `
  <div>
    <div class="toolbar">
      <el-select v-model="city" :placeholder="t('city')" clearable style="width:200px" data-testid="city-filter">
        <el-option :label="t('all')" value="" />
        <el-option v-for="c in cities" :key="c.code" :label="c.name" :value="c.code" />
      </el-select>
      <el-tag :type="connected ? 'success' : 'danger'">{{ connected ? t('live') : t('offline') }}</el-tag>
      <span class="totals">{{ t('halls') }} {{ tiles.length }} · {{ t('waiting') }} {{ totals.waiting }} · {{ t('openWindows') }} {{ totals.open }} · {{ t('arrivalsToday') }} {{ totals.arrivals }}</span>
    </div>
    <div class="tiles" data-testid="tiles">
      <a v-for="h in tiles" :key="h.hall" :href="'#/hall/' + h.hall" class="tile" :class="h.colour" :data-hall="h.hall">
        <div class="tile-name">{{ h.name }}</div>
        <div class="tile-figures"><b>{{ h.waiting }}</b> {{ t('waiting') }} · {{ fixed(h.longest_wait_min) }}′</div>
        <div class="tile-figures">{{ t('openWindows') }} {{ h.open_windows }} · {{ t('comm') }} {{ t(h.comm) }}<span v-if="h.alarms"> · ⚠ {{ h.alarms }}</span></div>
      </a>
    </div>
    <el-row :gutter="16">
      <el-col :span="12"><el-card :header="t('map')"><e-chart :option="mapOption" /></el-card></el-col>
      <el-col :span="12"><el-card :header="t('trend')"><e-chart :option="trendOption" /></el-card></el-col>
    </el-row>
  </div>`,
};

const HallPage = {
  props: { code: String },
  setup(props) {
    const hall = ref(null);
    const connected = ref(false);
    const error = ref('');
    let live = null;
    function follow() {
      live && live.close();
      hall.value = null;
      if (!props.code) return;
      live = api.stream('/api/v1/live/stream' + api.query({ hall: props.code }), (m) => {
        if (m.type === 'hall') hall.value = m.hall;
      }, (up) => (connected.value = up));
    }
    watch(() => props.code, follow);
    onMounted(follow);
    onBeforeUnmount(() => live && live.close());
    const queues = computed(() => hall.value ? Object.entries(hall.value.queues).map(([business, q]) => ({ business, ...q })) : []);
    const kpis = computed(() => {
      const today = (hall.value && hall.value.today) || {};
      return [
        { name: t('arrivalsToday'), value: today.arrivals, target: '' },
        { name: t('avgWait'), value: fixed(today.average_wait_min), target: hall.value ? fixed(hall.value.target_wait_min) : '' },
        { name: t('serviceLevel'), value: percent(today.service_level), target: '' },
        { name: t('satisfaction'), value: percent(today.satisfaction_rate), target: '' },
      ];
    });
    return { t, hall, connected, queues, kpis, fixed, percent, localTime: api.localTime };
  },
  template: `
  <div v-if="!code" class="empty">{{ t('noData') }}</div>
  <div v-else-if="!hall" class="empty">{{ t('loading') }}</div>
  <div v-else data-testid="hall-live">
    <div class="toolbar">
      <h2>{{ hall.name }} <small>{{ hall.hall }}</small></h2>
      <el-tag :type="connected ? 'success' : 'danger'">{{ connected ? t('live') : t('offline') }}</el-tag>
      <span class="totals">{{ t('waiting') }} <b data-testid="hall-waiting">{{ hall.waiting }}</b> · {{ t('longestWait') }} {{ fixed(hall.longest_wait_min) }} · v{{ hall.version }} · {{ localTime(hall.as_of) }}</span>
    </div>
    <el-row :gutter="16">
      <el-col :span="8">
        <el-card :header="t('queues')">
          <el-table :data="queues" size="small" :empty-text="t('noData')">
            <el-table-column prop="business" :label="t('business')" />
            <el-table-column prop="waiting" :label="t('waiting')" />
            <el-table-column :label="t('longestWait')"><template #default="s">{{ fixed(s.row.longest_wait_min) }}</template></el-table-column>
          </el-table>
        </el-card>
        <el-card :header="t('kpisToday')" style="margin-top:16px">
          <el-table :data="kpis" size="small">
            <el-table-column prop="name" :label="t('name')" />
            <el-table-column prop="value" :label="t('value')" />
            <el-table-column prop="target" :label="t('target')" />
          </el-table>
        </el-card>
        <el-card :header="t('predictions')" style="margin-top:16px">
          <el-table :data="hall.predictions" size="small" :empty-text="t('noData')">
            <el-table-column :label="t('business')"><template #default="s">{{ s.row.business || t('all') }}</template></el-table-column>
            <el-table-column :label="t('predictedWait')"><template #default="s">{{ fixed(s.row.predicted_wait_min) }}</template></el-table-column>
            <el-table-column prop="windows_needed" :label="t('windowsNeeded')" />
          </el-table>
        </el-card>
      </el-col>
      <el-col :span="16">
        <el-card :header="t('windows')">
          <el-table :data="hall.windows" size="small" :empty-text="t('noData')">
            <el-table-column prop="number" :label="t('window')" width="70" />
            <el-table-column prop="state" :label="t('state')" />
            <el-table-column prop="clerk" :label="t('clerk')" />
            <el-table-column prop="ticket" :label="t('ticket')" />
            <el-table-column prop="business" :label="t('business')" />
            <el-table-column :label="t('serving')"><template #default="s">{{ fixed(s.row.serving_min) }}</template></el-table-column>
            <el-table-column prop="served_today" :label="t('servedToday')" />
          </el-table>
        </el-card>
        <el-card :header="t('tickets')" style="margin-top:16px">
          <el-table :data="hall.tickets" size="small" max-height="240" :empty-text="t('noData')" data-testid="tickets">
            <el-table-column prop="ticket" :label="t('ticket')" />
            <el-table-column prop="business" :label="t('business')" />
            <el-table-column :label="t('since')"><template #default="s">{{ localTime(s.row.since) }}</template></el-table-column>
            <el-table-column :label="t('waitedMin')"><template #default="s">{{ fixed(s.row.waited_min) }}</template></el-table-column>
          </el-table>
        </el-card>
        <el-card :header="t('terminals')" style="margin-top:16px">
          <el-table :data="hall.terminals" size="small" :empty-text="t('noData')">
            <el-table-column prop="terminal" :label="t('terminal')" />
            <el-table-column prop="state" :label="t('state')" />
            <el-table-column :label="t('faultyParts')"><template #default="s">{{ (s.row.faulty_parts || []).join(', ') }}</template></el-table-column>
            <el-table-column :label="t('doorOpen')"><template #default="s">{{ s.row.door_open ? '⚠' : '' }}</template></el-table-column>
            <el-table-column prop="transactions_today" :label="t('servedToday')" />
          </el-table>
        </el-card>
      </el-col>
    </el-row>
  </div>`,
};

// A short tone for a new critical alarm (Web Audio: nothing to download).
function beep() {
  try {
    const audio = new (window.AudioContext || window.webkitAudioContext)();
    const tone = audio.createOscillator();
    tone.frequency.value = 880;
    tone.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.4);
  } catch { /* no sound device */ }
}

const AlarmsPage = {
  props: { principal: Object },
  setup() {
    const standing = ref([]);
    const history = ref([]);
    const tab = ref('standing');
    const filters = reactive({ severity: '', city: '', hall: '', kind: '' });
    const connected = ref(false);
    const criticalCount = ref(0);
    let stream = null;
    function follow() {
      stream && stream.close();
      stream = api.stream('/api/v1/alarms/stream' + api.query({ city: filters.city, hall: filters.hall, severity: filters.severity }), (m) => {
        if (m.type === 'snapshot') standing.value = m.alarms;
        if (m.type !== 'alarm') return;
        const a = m.alarm;
        standing.value = standing.value.filter((x) => x.id !== a.id);
        if (a.state === 'raised' || a.state === 'acknowledged') standing.value.unshift(a);
        if (a.severity === 'critical' && (m.change === 'raise' || m.change === 'escalate')) {
          criticalCount.value++;
          beep();
          ElMessage.error(t('newCritical') + ': ' + a.hall_name + ' ' + a.what);
        }
      }, (up) => (connected.value = up));
    }
    async function loadHistory() {
      history.value = (await api.get('/api/v1/alarms' + api.query({ state: 'all', ...filters, limit: 200 }))).items;
    }
    async function act(alarm, action) {
      const label = action === 'acknowledge' ? t('note') : t('reason');
      try {
        const { value } = await ElMessageBox.prompt(label, t(action), { inputValue: '', inputValidator: (v) => action === 'acknowledge' || !!(v && v.trim()) });
        const body = action === 'acknowledge' ? { note: value || '' } : { reason: value };
        await api.post(`/api/v1/alarms/${alarm.id}/${action}`, body);
        ElMessage.success(t('done'));
      } catch (e) {
        if (e instanceof api.ApiError) ElMessage.error(e.message);
      }
    }
    const shown = computed(() => standing.value.filter((a) => !filters.kind || a.kind === filters.kind));
    watch(() => [filters.severity, filters.city, filters.hall], follow);
    watch(tab, (v) => v === 'history' && loadHistory());
    onMounted(follow);
    onBeforeUnmount(() => stream && stream.close());
    return { t, tab, filters, shown, history, connected, act, loadHistory, localTime: api.localTime, fixed };
  },
  template: `
  <div>
    <div class="toolbar">
      <el-select v-model="filters.severity" :placeholder="t('severity')" clearable style="width:120px"><el-option :label="t('warning')" value="warning" /><el-option :label="t('critical')" value="critical" /></el-select>
      <el-input v-model="filters.city" :placeholder="t('city')" clearable style="width:120px" />
      <el-input v-model="filters.hall" :placeholder="t('hallName')" clearable style="width:140px" />
      <el-select v-model="filters.kind" :placeholder="t('kind')" clearable style="width:160px">
        <el-option v-for="k in ['limit','terminal_fault','part_fault','door_open','comm_loss','clock_skew']" :key="k" :label="k" :value="k" />
      </el-select>
      <el-tag :type="connected ? 'success' : 'danger'">{{ connected ? t('live') : t('offline') }}</el-tag>
    </div>
    <el-tabs v-model="tab">
      <el-tab-pane :label="t('standing')" name="standing">
        <el-table :data="shown" size="small" :empty-text="t('noData')" data-testid="alarm-list" :row-class-name="(r) => 'alarm-' + r.row.severity">
          <el-table-column prop="id" label="#" width="70" />
          <el-table-column :label="t('severity')" width="80"><template #default="s"><el-tag :type="s.row.severity === 'critical' ? 'danger' : 'warning'">{{ t(s.row.severity) }}</el-tag></template></el-table-column>
          <el-table-column prop="hall_name" :label="t('hallName')" />
          <el-table-column prop="what" :label="t('kind')" />
          <el-table-column :label="t('value')"><template #default="s">{{ fixed(s.row.last_value) }}</template></el-table-column>
          <el-table-column :label="t('raisedAt')"><template #default="s">{{ localTime(s.row.raised_at, 480, true) }}</template></el-table-column>
          <el-table-column :label="t('state')"><template #default="s"><span :data-testid="'alarm-state-' + s.row.id">{{ t(s.row.state) }}</span></template></el-table-column>
          <el-table-column :label="t('actions')" width="180">
            <template #default="s">
              <el-button v-if="s.row.state === 'raised'" size="small" type="primary" :data-testid="'ack-' + s.row.id" @click="act(s.row, 'acknowledge')">{{ t('acknowledge') }}</el-button>
              <el-button size="small" :data-testid="'clear-' + s.row.id" @click="act(s.row, 'clear')">{{ t('clear') }}</el-button>
            </template>
          </el-table-column>
        </el-table>
      </el-tab-pane>
      <el-tab-pane :label="t('history')" name="history">
        <el-button size="small" @click="loadHistory">{{ t('query') }}</el-button>
        <el-table :data="history" size="small" :empty-text="t('noData')">
          <el-table-column prop="id" label="#" width="70" />
          <el-table-column prop="hall_name" :label="t('hallName')" />
          <el-table-column prop="what" :label="t('kind')" />
          <el-table-column :label="t('severity')"><template #default="s">{{ t(s.row.severity) }}</template></el-table-column>
          <el-table-column :label="t('state')"><template #default="s">{{ t(s.row.state) }}</template></el-table-column>
          <el-table-column :label="t('raisedAt')"><template #default="s">{{ localTime(s.row.raised_at, 480, true) }}</template></el-table-column>
          <el-table-column prop="acknowledged_by" :label="t('by')" />
        </el-table>
      </el-tab-pane>
    </el-tabs>
  </div>`,
};

// Downloads a report with a progress bar (the body can be large: a year of a province by hour).
async function download(path, filename, progress) {
  progress.value = 0;
  const response = await fetch(path, { credentials: 'same-origin' });
  if (!response.ok) {
    const { error } = await response.json();
    throw new api.ApiError(response.status, error.code, error.message, error.details);
  }
  const total = Number(response.headers.get('Content-Length')) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    progress.value = total ? Math.round((received * 100) / total) : Math.min(99, progress.value + 5);
  }
  progress.value = 100;
  const url = URL.createObjectURL(new Blob(chunks, { type: response.headers.get('Content-Type') || 'text/csv' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const ReportsPage = {
  components: { EChart },
  props: { principal: Object },
  setup(props) {
    const scope = props.principal.scope;
    const form = reactive({
      level: scope === 'province' ? 'province' : scope.split(':')[0],
      code: scope === 'province' ? '' : scope.split(':')[1],
      from: api.today(), to: api.today(), granularity: 'hour',
    });
    const tab = ref('kpi');
    const kpi = ref(null), saturation = ref(null), clerks = ref(null), reliability = ref(null), best = ref(null);
    const progress = ref(-1);
    const error = ref('');
    const params = () => api.query({ level: form.level, code: form.level === 'province' ? '' : form.code, from: form.from, to: form.to });
    async function run() {
      error.value = '';
      try {
        if (tab.value === 'kpi') kpi.value = await api.get('/api/v1/kpi' + params() + '&granularity=' + form.granularity);
        if (tab.value === 'saturation') saturation.value = await api.get('/api/v1/saturation' + params());
        if (tab.value === 'clerks') clerks.value = await api.get('/api/v1/kpi/breakdown' + params() + '&dimension=clerk');
        if (tab.value === 'reliability') reliability.value = await api.get('/api/v1/terminal-reliability' + api.query({ from: form.from, to: form.to, city: form.level === 'city' ? form.code : '', hall: form.level === 'hall' ? form.code : '' }));
        if (tab.value === 'best' && form.level === 'hall') best.value = await api.get(`/api/v1/halls/${form.code}/best-hours`);
      } catch (e) { error.value = e.message; }
    }
    async function exportTable(format) {
      const path = { kpi: '/api/v1/kpi', saturation: '/api/v1/saturation', clerks: '/api/v1/kpi/breakdown' }[tab.value] || '/api/v1/kpi';
      const extra = tab.value === 'kpi' ? '&granularity=' + form.granularity : tab.value === 'clerks' ? '&dimension=clerk' : '';
      try {
        await download(path + params() + extra + '&format=' + format, `halld-${tab.value}-${form.from}-${form.to}.${format}`, progress);
        ElMessage.success(t('done'));
      } catch (e) { ElMessage.error(e.message); }
      setTimeout(() => (progress.value = -1), 1500);
    }
    const chart = computed(() => {
      const rows = (kpi.value && kpi.value.series) || [];
      return {
        tooltip: { trigger: 'axis' }, legend: {},
        xAxis: { type: 'category', data: rows.map((r) => r.period) },
        yAxis: [{ type: 'value', name: t('arrivalsToday') }, { type: 'value', name: t('avgWait') }],
        series: [{ name: t('arrivalsToday'), type: 'bar', data: rows.map((r) => r.arrivals) },
          { name: t('avgWait'), type: 'line', yAxisIndex: 1, data: rows.map((r) => r.average_wait_min) }],
      };
    });
    watch(tab, run);
    onMounted(run);
    return { t, form, tab, kpi, saturation, clerks, reliability, best, run, exportTable, chart, progress, error, fixed, percent, scope };
  },
  template: `
  <div>
    <div class="toolbar">
      <el-select v-model="form.level" style="width:110px" :disabled="scope !== 'province'">
        <el-option :label="t('province')" value="province" /><el-option :label="t('city')" value="city" /><el-option :label="t('hallName')" value="hall" />
      </el-select>
      <el-input v-if="form.level !== 'province'" v-model="form.code" :placeholder="t('code')" style="width:120px" />
      <el-date-picker v-model="form.from" type="date" value-format="YYYY-MM-DD" style="width:150px" />
      <el-date-picker v-model="form.to" type="date" value-format="YYYY-MM-DD" style="width:150px" />
      <el-select v-if="tab === 'kpi'" v-model="form.granularity" style="width:100px">
        <el-option v-for="g in ['hour','day','week','month']" :key="g" :label="t(g)" :value="g" />
      </el-select>
      <el-button type="primary" @click="run" data-testid="report-run">{{ t('query') }}</el-button>
      <el-button @click="exportTable('csv')" data-testid="export-csv">{{ t('exportCsv') }}</el-button>
      <el-button @click="exportTable('xlsx')" data-testid="export-xlsx">{{ t('exportExcel') }}</el-button>
      <el-progress v-if="progress >= 0" :percentage="progress" style="width:200px" data-testid="export-progress" />
    </div>
    <el-alert v-if="error" :title="error" type="error" :closable="false" />
    <el-tabs v-model="tab">
      <el-tab-pane label="KPI" name="kpi">
        <e-chart :option="chart" />
        <el-table :data="(kpi && kpi.series) || []" size="small" :empty-text="t('noData')" data-testid="kpi-table">
          <el-table-column prop="period" :label="t('at')" />
          <el-table-column prop="arrivals" :label="t('arrivalsToday')" />
          <el-table-column :label="t('avgWait')"><template #default="s">{{ fixed(s.row.average_wait_min) }}</template></el-table-column>
          <el-table-column :label="t('serviceLevel')"><template #default="s">{{ percent(s.row.service_level) }}</template></el-table-column>
          <el-table-column :label="t('satisfaction')"><template #default="s">{{ percent(s.row.satisfaction_rate) }}</template></el-table-column>
        </el-table>
      </el-tab-pane>
      <el-tab-pane :label="t('saturation')" name="saturation">
        <el-table :data="(saturation && saturation.halls) || []" size="small" :empty-text="t('noData')">
          <el-table-column prop="rank" :label="t('rank')" width="60" />
          <el-table-column prop="name" :label="t('hallName')" />
          <el-table-column prop="city" :label="t('city')" />
          <el-table-column :label="t('utilisation')"><template #default="s">{{ percent(s.row.utilisation) }}</template></el-table-column>
          <el-table-column :label="t('avgWait')"><template #default="s">{{ fixed(s.row.average_wait_min) }}</template></el-table-column>
        </el-table>
      </el-tab-pane>
      <el-tab-pane :label="t('clerkAssessment')" name="clerks">
        <el-table :data="(clerks && clerks.items) || []" size="small" :empty-text="t('noData')">
          <el-table-column prop="key" :label="t('clerk')" />
          <el-table-column prop="served" :label="t('served')" />
          <el-table-column :label="t('weightedVolume')"><template #default="s">{{ fixed(s.row.weighted_volume, 1) }}</template></el-table-column>
          <el-table-column :label="t('satisfaction')"><template #default="s">{{ percent(s.row.satisfaction_rate) }}</template></el-table-column>
          <el-table-column :label="t('weightedScore')"><template #default="s">{{ fixed(s.row.weighted_score, 2) }}</template></el-table-column>
          <el-table-column :label="t('avgHandling')"><template #default="s">{{ fixed(s.row.average_handling_min) }}</template></el-table-column>
        </el-table>
      </el-tab-pane>
      <el-tab-pane :label="t('reliability')" name="reliability">
        <el-table :data="(reliability && reliability.terminals) || []" size="small" :empty-text="t('noData')">
          <el-table-column prop="terminal" :label="t('terminal')" />
          <el-table-column prop="hall" :label="t('hallName')" />
          <el-table-column prop="failures" :label="t('failures')" />
          <el-table-column :label="t('mtbf')"><template #default="s">{{ fixed(s.row.mtbf_hours) }}</template></el-table-column>
          <el-table-column :label="t('mttr')"><template #default="s">{{ fixed(s.row.mttr_min) }}</template></el-table-column>
        </el-table>
      </el-tab-pane>
      <el-tab-pane :label="t('bestHours')" name="best">
        <div v-if="form.level !== 'hall'" class="empty">{{ t('hallName') }}: {{ t('code') }}</div>
        <el-table v-else :data="(best && best.days) || []" size="small" :empty-text="t('noData')">
          <el-table-column prop="weekday" :label="t('weekday')" width="80" />
          <el-table-column :label="t('suggestion')"><template #default="s">{{ s.row.best_hours.map((h) => h + ':00').join(', ') }}</template></el-table-column>
          <el-table-column :label="t('predictedWait')"><template #default="s">{{ s.row.hours.map((h) => h.hour + ':00 ' + fixed(h.expected_wait_min) + '′').join(' · ') }}</template></el-table-column>
        </el-table>
      </el-tab-pane>
    </el-tabs>
  </div>`,
};

// Configuration objects edited as JSON: the server validates each field and names the one that
// is wrong, so the page needs no second copy of the rules. `blank` is what "create" starts from.
const editable = {
  rules: {
    path: '/api/v1/alarm-rules',
    blank: () => ({ name: '', kind: 'limit', indicator: 'queue_length', direction: 'above', warning: 10, critical: 20, clear: null,
      hold_s: 60, clear_hold_s: 120, severity: 'critical', city: '', hall: '', business: '', terminal_type: '',
      schedule: 'opening_hours', enabled: true }),
  },
  contacts: {
    path: '/api/v1/contacts',
    blank: () => ({ name: '', phone: '+86', level: 1, city: '', hall: '', min_severity: 'warning', duty_days: 127, quiet_from: null, quiet_until: null }),
  },
  maintenance: {
    path: '/api/v1/maintenance-windows',
    blank: () => {
      const local = (ms) => new Date(Date.now() + 480 * 60000 + ms).toISOString().slice(0, 19) + '+08:00';
      return { target: '', from: local(0), until: local(2 * 3600000), reason: '' };
    },
  },
};

const AdminPage = {
  props: { principal: Object },
  setup(props) {
    const tabs = props.principal.role === 'province_admin'
      ? ['archives', 'users', 'tokens', 'rules', 'contacts', 'maintenance', 'recompute', 'audit'] : ['archives'];
    const tab = ref(tabs[0]);
    const rows = ref([]);
    const secret = ref('');
    const dialog = ref(false);
    const form = reactive({ username: '', display_name: '', password: '', name: '', role: 'city_manager', scope: 'city:', requests_per_minute: 600 });
    const sources = { archives: '/api/v1/halls?limit=1000', users: '/api/v1/users', tokens: '/api/v1/tokens', audit: '/api/v1/audit?limit=200', rules: '/api/v1/alarm-rules', contacts: '/api/v1/contacts', maintenance: '/api/v1/maintenance-windows', recompute: '/api/v1/recomputations' };
    async function load() {
      try { rows.value = (await api.get(sources[tab.value])).items || []; } catch (e) { rows.value = []; ElMessage.error(e.message); }
    }
    async function create() {
      try {
        if (tab.value === 'users') {
          await api.post('/api/v1/users', { username: form.username, display_name: form.display_name, password: form.password, role: form.role, scope: form.scope });
        } else {
          const made = await api.post('/api/v1/tokens', { name: form.name, role: form.role, scope: form.scope, requests_per_minute: Number(form.requests_per_minute) });
          secret.value = made.secret;
        }
        dialog.value = false;
        ElMessage.success(t('saved'));
        load();
      } catch (e) { ElMessage.error(e.message); }
    }
    // Asks first; an answer of "cancel" is not an error to show.
    async function confirmed(question, title, action) {
      try {
        await ElMessageBox.confirm(question, title);
        await action();
        load();
      } catch (e) { if (e instanceof api.ApiError) ElMessage.error(e.message); }
    }
    const revoke = (token) => confirmed(t('confirmRevoke'), t('revoke'), () => api.del('/api/v1/tokens/' + token.id));
    async function unlock(user) {
      try { await api.post(`/api/v1/users/${user.id}/unlock`); load(); } catch (e) { ElMessage.error(e.message); }
    }

    // Rules, contacts and maintenance windows: one JSON editor for all three (maintenance windows
    // are added and deleted, not changed).
    const editor = reactive({ open: false, id: null, text: '', error: '' });
    function edit(row) {
      const object = row ? { ...row } : editable[tab.value].blank();
      delete object.id;
      Object.assign(editor, { open: true, id: row ? row.id : null, text: JSON.stringify(object, null, 2), error: '' });
    }
    async function saveEdit() {
      let object;
      try { object = JSON.parse(editor.text); } catch (e) { editor.error = e.message; return; }
      const { path } = editable[tab.value];
      try {
        if (editor.id === null) await api.post(path, object); else await api.put(`${path}/${editor.id}`, object);
        editor.open = false;
        ElMessage.success(t('saved'));
        load();
      } catch (e) { editor.error = e.message; }
    }
    const remove = (row) => confirmed(t('confirmDelete'), t('delete'), () => api.del(`${editable[tab.value].path}/${row.id}`));

    // Archives: a halld-archives-v1 file (docs/archives.md), checked (a dry run) and then
    // imported, all or nothing; a rejected file lists every problem with its place.
    const archive = reactive({ file: null, text: '', busy: false, result: null, problems: [], error: '', search: '' });
    async function pickArchive(event) {
      const file = event.target.files[0];
      Object.assign(archive, { file: file ? file.name : null, text: file ? await file.text() : '', result: null, problems: [], error: '' });
    }
    async function importArchive(dryRun) {
      Object.assign(archive, { busy: true, result: null, problems: [], error: '' });
      try {
        archive.result = await api.postText('/api/v1/archives/import' + (dryRun ? '?dry_run=true' : ''), archive.text);
        if (!dryRun) load();
      } catch (e) {
        archive.error = e.message;
        archive.problems = (e.details && e.details.problems) || [];
      }
      archive.busy = false;
    }
    const shownHalls = computed(() => {
      const q = archive.search.trim();
      if (tab.value !== 'archives' || !q) return rows.value;
      return rows.value.filter((h) => [h.code, h.name, h.city && h.city.name, h.county].some((v) => v && String(v).includes(q)));
    });
    const countsText = (counts) => Object.entries(counts || {}).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(' · ') || '0';

    // Recomputations of KPI rollups run in the background; the page follows a running one's
    // progress until it ends.
    const yesterday = new Date(Date.now() + 480 * 60000 - 86400000).toISOString().slice(0, 10);
    const recomputation = reactive({ from: yesterday, to: yesterday, hall: '' });
    async function startRecomputation() {
      try {
        await api.post('/api/v1/recomputations', { from: recomputation.from, to: recomputation.to, hall: recomputation.hall.trim() || null });
        load();
      } catch (e) { ElMessage.error(e.message); }
    }
    const cancelRecomputation = (row) => confirmed(t('confirmStopRecompute'), t('recompute'), () => api.del('/api/v1/recomputations/' + row.id));
    const following = setInterval(() => {
      if (tab.value === 'recompute' && rows.value.some((r) => r.state === 'running' || r.state === 'cancelling')) load();
    }, 1000);
    onBeforeUnmount(() => clearInterval(following));

    watch(tab, () => { secret.value = ''; rows.value = []; load(); });
    onMounted(load);
    const roles = ['province_admin', 'city_manager', 'hall_manager', 'monitor', 'data_clerk'];
    return { t, tabs, tab, rows, dialog, form, create, revoke, unlock, secret, roles, editable, editor, edit, saveEdit, remove,
      archive, pickArchive, importArchive, shownHalls, countsText, recomputation, startRecomputation, cancelRecomputation, localTime: api.localTime, json: (v) => (v == null ? '' : JSON.stringify(v)) };
  },
  template: `
  <div>
    <el-tabs v-model="tab">
      <el-tab-pane v-for="name in tabs" :key="name" :label="t(name)" :name="name" />
    </el-tabs>
    <div class="toolbar" v-if="tab === 'users' || tab === 'tokens'">
      <el-button type="primary" @click="dialog = true" data-testid="admin-create">{{ t('create') }}</el-button>
    </div>
    <div class="toolbar" v-if="editable[tab]">
      <el-button type="primary" @click="edit(null)" data-testid="config-create">{{ t('create') }}</el-button>
    </div>
    <template v-if="tab === 'archives'">
      <div class="toolbar">
        <input type="file" accept=".json,application/json" @change="pickArchive" data-testid="archive-file" />
        <el-button :disabled="!archive.text || archive.busy" @click="importArchive(true)" data-testid="archive-check">{{ t('check') }}</el-button>
        <el-button type="primary" :disabled="!archive.text || archive.busy" @click="importArchive(false)" data-testid="archive-import">{{ t('importArchives') }}</el-button>
        <el-input v-model="archive.search" :placeholder="t('search')" style="width:200px" clearable />
      </div>
      <el-alert v-if="archive.result" type="success" :closable="false" data-testid="archive-result"
        :title="(archive.result.applied ? t('imported') : t('validNothingApplied')) + ': ' + countsText(archive.result.counts)" />
      <el-alert v-if="archive.error" type="error" :closable="false" :title="archive.error" data-testid="archive-error" />
      <el-table v-if="archive.problems.length" :data="archive.problems" size="small" data-testid="archive-problems">
        <el-table-column prop="location" :label="t('location')" width="320" /><el-table-column prop="reason" :label="t('problem')" />
      </el-table>
      <el-table :data="shownHalls" size="small" :empty-text="t('noData')" data-testid="archive-halls">
        <el-table-column prop="code" :label="t('code')" width="110" /><el-table-column prop="name" :label="t('hallName')" />
        <el-table-column :label="t('city')"><template #default="s">{{ s.row.city && s.row.city.name }}</template></el-table-column>
        <el-table-column prop="county" :label="t('county')" /><el-table-column prop="level" :label="t('level')" width="70" />
        <el-table-column prop="status" :label="t('state')" width="100" />
      </el-table>
    </template>
    <template v-if="tab === 'recompute'">
      <div class="toolbar">
        <el-date-picker v-model="recomputation.from" type="date" value-format="YYYY-MM-DD" style="width:150px" />
        <el-date-picker v-model="recomputation.to" type="date" value-format="YYYY-MM-DD" style="width:150px" />
        <el-input v-model="recomputation.hall" :placeholder="t('hallOrAll')" style="width:200px" clearable data-testid="recompute-hall" />
        <el-button type="primary" @click="startRecomputation" data-testid="recompute-start">{{ t('start') }}</el-button>
      </div>
      <el-table :data="rows" size="small" :empty-text="t('noData')" data-testid="recompute-table">
        <el-table-column prop="from" :label="t('from')" width="110" /><el-table-column prop="to" :label="t('to')" width="110" />
        <el-table-column :label="t('hallName')" width="110"><template #default="s">{{ s.row.hall || '—' }}</template></el-table-column>
        <el-table-column prop="hall_days" :label="t('hallDays')" width="90" />
        <el-table-column :label="t('progress')" width="220"><template #default="s">
          <el-progress :percentage="s.row.percent" :status="s.row.state === 'done' ? 'success' : s.row.state === 'failed' ? 'exception' : ''" data-testid="recompute-progress" /></template></el-table-column>
        <el-table-column :label="t('state')" width="100"><template #default="s"><span :title="s.row.error || ''" :data-state="s.row.state" data-testid="recompute-state">{{ t('job_' + s.row.state) }}</span></template></el-table-column>
        <el-table-column prop="requested_by" :label="t('by')" />
        <el-table-column :label="t('at')" width="170"><template #default="s">{{ localTime(s.row.started_at, 480, true) }}</template></el-table-column>
        <el-table-column :label="t('actions')" width="90"><template #default="s">
          <el-button v-if="s.row.state === 'running'" size="small" type="danger" @click="cancelRecomputation(s.row)">{{ t('cancel') }}</el-button></template></el-table-column>
      </el-table>
    </template>
    <el-alert v-if="secret" type="success" :closable="true" @close="secret = ''" data-testid="token-secret"><b>{{ t('secretOnce') }}</b> <code>{{ secret }}</code></el-alert>
    <el-table v-if="tab === 'users'" :data="rows" size="small">
      <el-table-column prop="username" :label="t('username')" /><el-table-column prop="display_name" :label="t('displayName')" />
      <el-table-column prop="role" :label="t('role')" /><el-table-column prop="scope" :label="t('scope')" />
      <el-table-column :label="t('state')"><template #default="s">{{ s.row.disabled ? '✕' : s.row.locked ? '🔒' : '✓' }}</template></el-table-column>
      <el-table-column :label="t('actions')"><template #default="s"><el-button v-if="s.row.locked" size="small" @click="unlock(s.row)">{{ t('unlock') }}</el-button></template></el-table-column>
    </el-table>
    <el-table v-if="tab === 'tokens'" :data="rows" size="small">
      <el-table-column prop="name" :label="t('name')" /><el-table-column prop="role" :label="t('role')" /><el-table-column prop="scope" :label="t('scope')" />
      <el-table-column prop="requests_per_minute" :label="t('rate')" /><el-table-column prop="state" :label="t('state')" />
      <el-table-column :label="t('expires')"><template #default="s">{{ localTime(s.row.expires_at, 480, true) }}</template></el-table-column>
      <el-table-column :label="t('actions')"><template #default="s"><el-button v-if="s.row.state === 'active'" size="small" type="danger" @click="revoke(s.row)">{{ t('revoke') }}</el-button></template></el-table-column>
    </el-table>
    <el-table v-if="tab === 'audit'" :data="rows" size="small" data-testid="audit-table">
      <el-table-column :label="t('at')" width="170"><template #default="s">{{ localTime(s.row.at, 480, true) }}</template></el-table-column>
      <el-table-column prop="actor" :label="t('actor')" /><el-table-column prop="method" :label="t('method')" width="80" />
      <el-table-column prop="path" :label="t('path')" /><el-table-column prop="status" :label="t('status')" width="80" />
      <el-table-column label="before → after"><template #default="s"><code class="diff">{{ json(s.row.before) }} → {{ json(s.row.after) }}</code></template></el-table-column>
    </el-table>
    <el-table v-if="tab === 'rules'" :data="rows" size="small" data-testid="rules-table">
      <el-table-column prop="name" :label="t('name')" /><el-table-column prop="kind" :label="t('kind')" />
      <el-table-column prop="indicator" label="indicator" /><el-table-column prop="warning" :label="t('warning')" /><el-table-column prop="critical" :label="t('critical')" />
      <el-table-column :label="t('enabled')"><template #default="s">{{ s.row.enabled ? '✓' : '✕' }}</template></el-table-column>
      <el-table-column :label="t('actions')" width="160"><template #default="s">
        <el-button size="small" @click="edit(s.row)" data-testid="config-edit">{{ t('edit') }}</el-button>
        <el-button size="small" type="danger" @click="remove(s.row)">{{ t('delete') }}</el-button></template></el-table-column>
    </el-table>
    <el-table v-if="tab === 'contacts'" :data="rows" size="small">
      <el-table-column prop="name" :label="t('name')" /><el-table-column prop="phone" :label="t('phone')" /><el-table-column prop="level" :label="t('level')" />
      <el-table-column prop="city" :label="t('city')" /><el-table-column prop="hall" :label="t('hallName')" />
      <el-table-column :label="t('actions')" width="160"><template #default="s">
        <el-button size="small" @click="edit(s.row)">{{ t('edit') }}</el-button>
        <el-button size="small" type="danger" @click="remove(s.row)">{{ t('delete') }}</el-button></template></el-table-column>
    </el-table>
    <el-table v-if="tab === 'maintenance'" :data="rows" size="small">
      <el-table-column prop="target" :label="t('code')" />
      <el-table-column :label="t('from')"><template #default="s">{{ localTime(s.row.from, 480, true) }}</template></el-table-column>
      <el-table-column :label="t('to')"><template #default="s">{{ localTime(s.row.until, 480, true) }}</template></el-table-column>
      <el-table-column prop="reason" :label="t('reason')" /><el-table-column prop="created_by" :label="t('by')" />
      <el-table-column :label="t('actions')" width="90"><template #default="s">
        <el-button size="small" type="danger" @click="remove(s.row)">{{ t('delete') }}</el-button></template></el-table-column>
    </el-table>
    <el-dialog v-model="editor.open" :title="editor.id === null ? t('create') : t('edit')" width="560px">
      <el-input v-model="editor.text" type="textarea" :rows="16" class="json-editor" data-testid="config-json" />
      <el-alert v-if="editor.error" type="error" :closable="false" :title="editor.error" data-testid="config-error" />
      <template #footer><el-button type="primary" @click="saveEdit" data-testid="config-save">{{ t('save') }}</el-button></template>
    </el-dialog>
    <el-dialog v-model="dialog" :title="t('create')" width="420px">
      <el-form label-width="110px">
        <template v-if="tab === 'users'">
          <el-form-item :label="t('username')"><el-input v-model="form.username" /></el-form-item>
          <el-form-item :label="t('displayName')"><el-input v-model="form.display_name" /></el-form-item>
          <el-form-item :label="t('password')"><el-input v-model="form.password" type="password" show-password /></el-form-item>
        </template>
        <el-form-item v-else :label="t('name')"><el-input v-model="form.name" data-testid="token-name" /></el-form-item>
        <el-form-item :label="t('role')"><el-select v-model="form.role"><el-option v-for="r in roles" :key="r" :label="r" :value="r" /></el-select></el-form-item>
        <el-form-item :label="t('scope')"><el-input v-model="form.scope" placeholder="province / city:4101 / hall:4101001" data-testid="token-scope" /></el-form-item>
        <el-form-item v-if="tab === 'tokens'" :label="t('rate')"><el-input v-model="form.requests_per_minute" /></el-form-item>
      </el-form>
      <template #footer><el-button type="primary" @click="create" data-testid="admin-save">{{ t('create') }}</el-button></template>
    </el-dialog>
  </div>`,
};
