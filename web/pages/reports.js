// KPI reports over a range, as tables and charts, with CSV and Excel export.
import { ref, reactive, computed, onMounted, watch, ElMessage, fixed, percent, EChart } from './shared.js';

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

export default ReportsPage;
