// The alarm window (live, with sound) and the alarm record, statistics and reliability.
import { ref, reactive, computed, onMounted, onBeforeUnmount, watch, ElMessage, ElMessageBox, fixed } from './shared.js';

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
      <span data-testid="alarm-kind"><el-select v-model="filters.kind" :placeholder="t('kind')" clearable style="width:160px">
        <el-option v-for="k in ['limit','terminal_fault','part_fault','door_open','comm_loss','clock_skew']" :key="k" :label="t('alarmkind_' + k)" :value="k" />
      </el-select></span>
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

export default AlarmsPage;
