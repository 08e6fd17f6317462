// A hall's facility devices (设施): each device's comm state and its points' latest values, a
// chart of one point over the last day, and — for those who may command the hall — switches and
// set points written through the command path (the answer shows in the commands card).
import { ref, computed, onMounted, onBeforeUnmount, watch, ElMessage, EChart } from './shared.js';

const HallFacility = {
  components: { EChart },
  props: { code: String, mayCommand: Boolean },
  emits: ['written'],
  setup(props, { emit }) {
    const devices = ref([]);
    const loaded = ref(false);
    const chosen = ref('');  // "device/point" charted
    const history = ref([]);
    const drafts = ref({});  // set points being edited, by "device/point"
    let timer = null;
    const base = () => `/api/v1/halls/${encodeURIComponent(props.code)}/facility`;
    async function load() {
      try {
        devices.value = (await api.get(base())).devices;
      } catch { devices.value = []; }
      loaded.value = true;
      if (!chosen.value) {
        const first = chartable.value[0];
        if (first) { chosen.value = first.key; loadHistory(); }
      }
    }
    async function loadHistory() {
      const [device, point] = chosen.value.split('/');
      try {
        history.value = (await api.get(`${base()}/history` + api.query({ device, point, hours: 24 }))).items;
      } catch { history.value = []; }
    }
    const chartable = computed(() => devices.value.flatMap((d) => d.points
      .filter((p) => !['on_off'].includes(p.quantity))
      .map((p) => ({ key: `${d.id}/${p.name}`, label: `${d.name || d.id} · ${p.title}`, unit: p.unit }))));
    const chart = computed(() => {
      const unit = (chartable.value.find((c) => c.key === chosen.value) || {}).unit || '';
      return {
        grid: { left: 48, right: 16, top: 36, bottom: 32 },
        tooltip: { trigger: 'axis', formatter: (items) => items.map((i) => api.localTime(i.value[0]).slice(0, 5) + '  ' + Number(i.value[1]).toFixed(1) + ' ' + unit).join('<br>') },
        // A time axis (buckets with no reading leave a gap, not a jump), labelled in Beijing time.
        xAxis: { type: 'time', min: Date.now() - 24 * 3600e3, max: Date.now(), splitNumber: 4,
          axisLabel: { hideOverlap: true, formatter: (v) => api.localTime(new Date(v).toISOString()).slice(0, 5) } },
        yAxis: { type: 'value', name: unit, scale: true },
        series: [{ type: 'line', showSymbol: history.value.length < 30, data: history.value.map((h) => [h.at, h.avg]), areaStyle: { opacity: 0.08 } }],
      };
    });
    // Never healthy when unknown: not polled yet is grey, silent is red with why.
    const commTag = (d) => (d.answering === null ? { type: 'info', text: t('unknown') }
      : d.answering ? (d.problem ? { type: 'warning', text: t('facilityRefusing') } : { type: 'success', text: t('up') })
        : { type: 'danger', text: t('facilitySilent') });
    const shown = (p) => {
      if (p.value === null || p.value === undefined) return '—';
      if (p.quantity === 'on_off') return p.value ? t('switchOn') : t('switchOff');
      const digits = Number.isInteger(p.value) && p.quantity === 'people' ? 0 : 1;
      return Number(p.value).toFixed(digits) + (p.unit ? ' ' + p.unit : '');
    };
    async function write(device, point, value) {
      try {
        await api.post(`/api/v1/halls/${encodeURIComponent(props.code)}/commands`,
          { object: 'facility', kind: 'facility_write', device: device.id, point: point.name, value });
        ElMessage.success(t('commandSent'));
        emit('written');
      } catch (e) {
        if (e instanceof api.ApiError) ElMessage.error(e.message);
      }
    }
    const draft = (d, p) => {
      const key = `${d.id}/${p.name}`;
      if (drafts.value[key] === undefined) drafts.value[key] = p.value ?? p.min ?? 0;
      return key;
    };
    watch(() => props.code, () => { chosen.value = ''; devices.value = []; loaded.value = false; load(); });
    watch(chosen, () => chosen.value && loadHistory());
    onMounted(() => { load(); timer = setInterval(() => { load(); if (chosen.value) loadHistory(); }, 10000); });
    onBeforeUnmount(() => clearInterval(timer));
    return { t, devices, loaded, chosen, chartable, chart, commTag, shown, write, drafts, draft, localTime: api.localTime };
  },
  template: `
  <el-card v-if="loaded && devices.length" :header="t('facility')" style="margin-top:16px" data-testid="hall-facility">
    <div class="facility-grid">
      <div v-for="d in devices" :key="d.id" class="facility-device" :data-testid="'facility-' + d.id">
        <div class="facility-head">
          <b>{{ d.name || d.id }}</b>
          <el-tag size="small" :type="commTag(d).type">{{ commTag(d).text }}</el-tag>
        </div>
        <div class="facility-meta">{{ t('facilitykind_' + d.kind) }} · {{ d.model_title || d.model }} · {{ t('facilityUnit') }} {{ d.unit }}</div>
        <div v-if="d.problem" class="facility-problem">{{ d.problem }}</div>
        <table class="facility-points">
          <template v-for="p in d.points" :key="p.name">
            <tr>
              <td>{{ p.title }}</td>
              <td class="facility-value" :data-testid="'facility-value-' + d.id + '-' + p.name">{{ shown(p) }}</td>
              <td v-if="mayCommand && p.writable && p.quantity === 'on_off'" class="facility-write">
                <el-switch :model-value="p.value === 1" size="small"
                           @change="(v) => write(d, p, v ? 1 : 0)" :data-testid="'facility-switch-' + d.id + '-' + p.name" />
              </td>
            </tr>
            <tr v-if="mayCommand && p.writable && p.quantity !== 'on_off'">
              <td colspan="3" class="facility-write">
                <el-input-number v-model="drafts[draft(d, p)]" :min="p.min ?? undefined" :max="p.max ?? undefined" :step="0.5" size="small" controls-position="right" style="width:110px" />
                <el-button size="small" type="primary" @click="write(d, p, drafts[d.id + '/' + p.name])" :data-testid="'facility-set-' + d.id + '-' + p.name">{{ t('facilitySet') }}</el-button>
              </td>
            </tr>
          </template>
        </table>
        <div class="facility-meta">{{ t('facilityLastAnswer') }} {{ d.last_answer_at ? localTime(d.last_answer_at, 480, true).slice(5) : '—' }}</div>
      </div>
    </div>
    <div class="toolbar" style="margin-top:12px">
      <span>{{ t('facilityTrend') }}</span>
      <el-select v-model="chosen" style="width:260px" data-testid="facility-chart-point">
        <el-option v-for="c in chartable" :key="c.key" :value="c.key" :label="c.label" />
      </el-select>
    </div>
    <e-chart :option="chart" height="240px" data-testid="facility-chart" />
  </el-card>`,
};

export default HallFacility;
