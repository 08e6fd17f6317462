// What the pages share: Vue's and Element Plus's functions (from the vendored globals), number
// formats, and an ECharts chart that follows its option.
export const { ref, reactive, computed, onMounted, onBeforeUnmount, watch, nextTick } = Vue;
export const { ElMessage, ElMessageBox } = ElementPlus;

export const fixed = (v, digits = 1) => (v === null || v === undefined ? '—' : Number(v).toFixed(digits));
export const percent = (v) => (v === null || v === undefined ? '—' : (v * 100).toFixed(1) + '%');

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

