// What the pages share: Vue's and Element Plus's functions (from the vendored globals), number
// formats, and an ECharts chart that follows its option.
export const { ref, reactive, computed, onMounted, onBeforeUnmount, watch, nextTick } = Vue;
export const { ElMessage, ElMessageBox } = ElementPlus;

export const fixed = (v, digits = 1) => (v === null || v === undefined ? '—' : Number(v).toFixed(digits));
export const percent = (v) => (v === null || v === undefined ? '—' : (v * 100).toFixed(1) + '%');

// The business types' names by code, read once per page load (a catalogue changes with an
// archive import, which reloads nothing on an open page anyway); a code not in it shows as is.
const businessNames = reactive({});
let businessesLoading = null;
export function loadBusinessNames() {
  businessesLoading = businessesLoading || api.get('/api/v1/business-types').then((answer) => {
    for (const b of answer.items || []) businessNames[b.code] = i18n.locale === 'en' && b.name_en ? b.name_en : b.name;
  }).catch(() => { businessesLoading = null; });
  return businessesLoading;
}
export const businessName = (code) => (code ? businessNames[code] || code : '');

// An ECharts chart that follows its option.
export const EChart = {
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

