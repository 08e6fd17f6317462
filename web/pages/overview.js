// The province, city or hall overview: every hall in scope, coloured by its state, live.
import { ref, reactive, computed, onMounted, onBeforeUnmount, watch, fixed, percent, EChart } from './shared.js';

// Red: link down or a critical alarm; orange: an alarm or waits past the hall's target; grey: no
// data source, so nothing is known (never green); green: data flowing and within target.
function hallColour(hall, alarms) {
  const mine = alarms.filter((a) => a.hall === hall.hall);
  if (hall.comm === 'down' || mine.some((a) => a.severity === 'critical')) return 'red';
  if (mine.length || (hall.predicted_wait_min || 0) > (hall.target_wait_min || 15) || (hall.longest_wait_min || 0) > (hall.target_wait_min || 15)) return 'orange';
  return hall.comm === 'up' ? 'green' : 'grey';
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
    const colours = { red: '#d9363e', orange: '#e6a23c', green: '#3c9a5f', grey: '#909399' };
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
        xAxis: { type: 'category', data: rows.map((r) => api.localTime(r.period).slice(0, 5)) },
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
    <el-row :gutter="16" class="overview-charts">
      <el-col :xs="24" :md="12"><el-card :header="t('map')"><e-chart :option="mapOption" /></el-card></el-col>
      <el-col :xs="24" :md="12"><el-card :header="t('trend')"><e-chart :option="trendOption" data-testid="trend" /></el-card></el-col>
    </el-row>
    <div class="tiles" data-testid="tiles">
      <a v-for="h in tiles" :key="h.hall" :href="'#/hall/' + h.hall" class="tile" :class="h.colour" :data-hall="h.hall">
        <div class="tile-name">{{ h.name }}</div>
        <div class="tile-figures"><b>{{ h.waiting }}</b> {{ t('waiting') }} · {{ fixed(h.longest_wait_min) }}′</div>
        <div class="tile-figures" v-if="h.comm === 'unknown'">{{ t('noSource') }}<span v-if="h.alarms"> · ⚠ {{ h.alarms }}</span></div>
        <div class="tile-figures" v-else>{{ t('openWindows') }} {{ h.open_windows }} · {{ t('comm') }} {{ t(h.comm) }}<span v-if="h.alarms"> · ⚠ {{ h.alarms }}</span></div>
      </a>
    </div>
  </div>`,
};

export default OverviewPage;
