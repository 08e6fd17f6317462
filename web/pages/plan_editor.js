// A plan edited as a form, for the province's administrator: what it is for, where it applies,
// which alarms suggest it, and its steps in order — each with the fields its action takes. halld
// checks the plan again and names the step that is wrong; a saved change is a new version (an
// emergency under way keeps the version it started with).
import { ref, reactive, computed, watch, ElMessage } from './shared.js';

const actions = ['open_windows', 'add_guides', 'start_preprocessing', 'divert', 'dispatch_resources', 'publish_notice', 'notify', 'instruction'];
const executable = ['open_windows', 'publish_notice', 'notify'];
const takesCount = ['open_windows', 'add_guides'];
const takesText = ['publish_notice', 'notify', 'instruction', 'dispatch_resources', 'start_preprocessing', 'add_guides'];

const blankStep = () => ({ action: 'instruction', text: '', count: 1, minutes: 60, level: 1, to: 'terminals', role: '', time_limit_min: 10, executes: false });

// The plan as the API takes it: only the fields each step's action has.
function planBody(form) {
  return {
    name: form.name.trim(), event_type: form.event_type, city: form.reach === 'city' ? form.city : '', hall: form.reach === 'hall' ? form.hall : '',
    trigger_rules: form.trigger_rules, min_severity: form.min_severity, auto_start: form.auto_start, effect_minutes: form.effect_minutes,
    enabled: form.enabled,
    steps: form.steps.map((s) => {
      const step = { action: s.action, role: s.role, time_limit_min: s.time_limit_min, executes: executable.includes(s.action) && s.executes };
      if (takesCount.includes(s.action)) step.count = s.count;
      if (takesText.includes(s.action) && s.text.trim()) step.text = s.text.trim();
      if (s.action === 'publish_notice') step.minutes = s.minutes;
      if (s.action === 'notify') step.level = s.level;
      if (s.action === 'divert') step.to = s.to;
      return step;
    }),
  };
}

const PlanEditor = {
  props: { modelValue: Boolean, plan: Object, eventTypes: Array },
  emits: ['update:modelValue', 'saved'],
  setup(props, { emit }) {
    const rules = ref([]);
    const cities = ref([]);
    const halls = ref([]);
    const saving = ref(false);
    const form = reactive({ name: '', event_type: 'crowding', reach: 'province', city: '', hall: '', trigger_rules: [], min_severity: 1, auto_start: false, effect_minutes: 20, enabled: true, steps: [] });
    const visible = computed({ get: () => props.modelValue, set: (v) => emit('update:modelValue', v) });
    async function open() {
      const p = props.plan;
      Object.assign(form, p
        ? { name: p.name, event_type: p.event_type, reach: p.hall ? 'hall' : p.city ? 'city' : 'province', city: p.city, hall: p.hall, trigger_rules: [...p.trigger_rules], min_severity: p.min_severity, auto_start: p.auto_start, effect_minutes: p.effect_minutes, enabled: p.enabled, steps: p.steps.map((s) => ({ ...blankStep(), ...s, text: s.text || '' })) }
        : { name: '', event_type: 'crowding', reach: 'province', city: '', hall: '', trigger_rules: [], min_severity: 1, auto_start: false, effect_minutes: 20, enabled: true, steps: [blankStep()] });
      if (!rules.value.length) {
        const [r, c, h] = await Promise.all([api.get('/api/v1/alarm-rules'), api.get('/api/v1/cities'), api.get('/api/v1/halls?limit=1000')]);
        rules.value = r.items; cities.value = c.items; halls.value = h.items;
      }
    }
    watch(() => props.modelValue, (shown) => shown && open());
    const move = (i, by) => { const [s] = form.steps.splice(i, 1); form.steps.splice(i + by, 0, s); };
    const remove = (i) => form.steps.splice(i, 1);
    const add = () => form.steps.push(blankStep());
    async function save() {
      if (!form.name.trim()) return ElMessage.error(t('planNameNeeded'));
      saving.value = true;
      try {
        const body = planBody(form);
        const saved = props.plan ? await api.put('/api/v1/emergency-plans/' + props.plan.id, body) : await api.post('/api/v1/emergency-plans', body);
        ElMessage.success(t('planSaved', { v: saved.version }));
        visible.value = false;
        emit('saved', saved);
      } catch (e) {
        if (e instanceof api.ApiError) ElMessage.error(e.message);
      } finally {
        saving.value = false;
      }
    }
    return { t, form, visible, rules, cities, halls, saving, actions, executable, takesCount, takesText, move, remove, add, save };
  },
  template: `
  <el-dialog v-model="visible" :title="plan ? t('editPlan') + '：' + plan.name + '（v' + plan.version + '）' : t('newPlan')" width="min(96vw, 760px)" data-testid="plan-editor">
    <el-form label-position="top">
      <el-form-item :label="t('planName')"><el-input v-model="form.name" maxlength="60" data-testid="plan-name" /></el-form-item>
      <el-form-item :label="t('eventType')">
        <div data-testid="plan-event-type"><el-select v-model="form.event_type" filterable allow-create><el-option v-for="e in eventTypes" :key="e.code" :label="e.name" :value="e.code" /></el-select></div>
      </el-form-item>
      <el-form-item :label="t('appliesTo')">
        <el-radio-group v-model="form.reach"><el-radio-button label="province">{{ t('reach_province') }}</el-radio-button><el-radio-button label="city">{{ t('reach_city') }}</el-radio-button><el-radio-button label="hall">{{ t('reach_hall') }}</el-radio-button></el-radio-group>
        <el-select v-if="form.reach === 'city'" v-model="form.city" filterable><el-option v-for="c in cities" :key="c.code" :label="c.name" :value="c.code" /></el-select>
        <el-select v-if="form.reach === 'hall'" v-model="form.hall" filterable><el-option v-for="h in halls" :key="h.code" :label="h.name + '（' + h.code + '）'" :value="h.code" /></el-select>
      </el-form-item>
      <el-form-item :label="t('triggerRules')">
        <el-select v-model="form.trigger_rules" multiple :placeholder="t('manualOnly')" style="width: 100%" data-testid="plan-rules"><el-option v-for="r in rules" :key="r.id" :label="r.name" :value="r.id" /></el-select>
      </el-form-item>
      <div class="step-fields">
        <el-form-item :label="t('minSeverity')"><el-radio-group v-model="form.min_severity"><el-radio-button :label="1">{{ t('warning') }}</el-radio-button><el-radio-button :label="2">{{ t('critical') }}</el-radio-button></el-radio-group></el-form-item>
        <el-form-item :label="t('autoStart')"><el-switch v-model="form.auto_start" /></el-form-item>
        <el-form-item :label="t('effectAfter')"><el-input-number v-model="form.effect_minutes" :min="1" :max="1440" /></el-form-item>
        <el-form-item :label="t('enabled')"><el-switch v-model="form.enabled" /></el-form-item>
      </div>
      <h4>{{ t('steps') }}</h4>
      <div v-for="(s, i) in form.steps" :key="i" class="plan-step" :data-testid="'plan-step-' + (i + 1)">
        <div class="step-fields">
          <b>{{ i + 1 }}.</b>
          <el-select v-model="s.action" style="width: 150px"><el-option v-for="a in actions" :key="a" :label="t('action_' + a)" :value="a" /></el-select>
          <span v-if="takesCount.includes(s.action)" class="nowrap"><el-input-number v-model="s.count" :min="s.action === 'open_windows' ? 1 : 0" :max="s.action === 'open_windows' ? 20 : 50" size="small" /> {{ s.action === 'open_windows' ? t('windowsUnit') : t('peopleUnit') }}</span>
          <el-select v-if="s.action === 'divert'" v-model="s.to" style="width: 170px"><el-option value="terminals" :label="t('divert_terminals')" /><el-option value="nearby_halls" :label="t('divert_nearby_halls')" /></el-select>
          <span v-if="s.action === 'notify'" class="nowrap">{{ t('level') }} <el-input-number v-model="s.level" :min="1" :max="9" size="small" /></span>
          <span v-if="s.action === 'publish_notice'" class="nowrap">{{ t('shownFor') }} <el-input-number v-model="s.minutes" :min="1" :max="1440" size="small" /> {{ t('minutes') }}</span>
        </div>
        <el-input v-if="takesText.includes(s.action)" v-model="s.text" type="textarea" :rows="2" :placeholder="t('stepTextHint_' + (s.action === 'publish_notice' ? 'notice' : s.action === 'notify' ? 'sms' : 'instruction'))" class="step-text-input" />
        <div class="step-fields">
          <el-input v-model="s.role" :placeholder="t('responsibleRole')" style="width: 150px" size="small" />
          <span class="nowrap">{{ t('timeLimit') }} <el-input-number v-model="s.time_limit_min" :min="1" :max="1440" size="small" /> {{ t('minutes') }}</span>
          <el-checkbox v-if="executable.includes(s.action)" v-model="s.executes">{{ t('byHalld') }}</el-checkbox>
          <span class="muted" v-else>{{ t('byPerson') }}</span>
          <el-button size="small" text :disabled="i === 0" @click="move(i, -1)">↑</el-button>
          <el-button size="small" text :disabled="i === form.steps.length - 1" @click="move(i, 1)">↓</el-button>
          <el-button size="small" text type="danger" :disabled="form.steps.length === 1" @click="remove(i)">{{ t('delete') }}</el-button>
        </div>
      </div>
      <el-button size="small" @click="add" data-testid="plan-add-step">+ {{ t('addStep') }}</el-button>
    </el-form>
    <template #footer><el-button @click="visible = false">{{ t('back') }}</el-button><el-button type="primary" :loading="saving" @click="save" data-testid="plan-save">{{ t('save') }}</el-button></template>
  </el-dialog>`,
};

export default PlanEditor;
