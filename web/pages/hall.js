// One hall's live page: queues, windows, terminals, predictions, today's figures, the facility
// devices, and the commands sent to the hall's systems.
import { ref, computed, onMounted, onBeforeUnmount, watch, fixed, percent, loadBusinessNames, businessName } from './shared.js';
import HallCommands from './hall_commands.js';
import HallFacility from './hall_facility.js';

const HallPage = {
  components: { HallCommands, HallFacility },
  props: { code: String, principal: Object },
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
    onMounted(() => { loadBusinessNames(); follow(); });
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
    // Where the hall's data comes from, never shown healthy when unknown: no data source, a
    // link down since when, or up.
    const comm = computed(() => {
      const channels = (hall.value && hall.value.channels) || [];
      if (!channels.length) return { type: 'info', text: t('noSource') };
      const down = channels.filter((c) => !c.up);
      const since = api.localTime((down[0] || channels[0]).since, 480, true).slice(5, 16);
      return down.length ? { type: 'danger', text: t('commDownSince', { at: since }) } : { type: 'success', text: t('commUpSince', { at: since }) };
    });
    const hasSource = computed(() => !!(hall.value && hall.value.channels && hall.value.channels.length));
    const faults = (parts) => (parts || []).map((p) => t('part_' + p.part) + '（' + t('partstate_' + p.state) + '）').join('、');
    // Commands are for those who may act on the hall (the server decides either way).
    const mayCommand = computed(() => !!props.principal && ['province_admin', 'city_manager', 'hall_manager'].includes(props.principal.role));
    const commandsVersion = ref(0);  // a facility write shows at once in the commands card
    return { t, hall, commandsVersion, connected, queues, kpis, mayCommand, comm, hasSource, faults, businessName, fixed, percent, localTime: api.localTime };
  },
  template: `
  <div v-if="!code" class="empty">{{ t('noData') }}</div>
  <div v-else-if="!hall" class="empty">{{ t('loading') }}</div>
  <div v-else data-testid="hall-live">
    <div class="toolbar">
      <h2>{{ hall.name }} <small>{{ hall.hall }}</small></h2>
      <el-tag :type="comm.type" data-testid="hall-comm">{{ comm.text }}</el-tag>
      <el-tag size="small" effect="plain" :type="connected ? 'success' : 'danger'">{{ connected ? t('live') : t('offline') }}</el-tag>
      <span class="totals">{{ t('waiting') }} <b data-testid="hall-waiting">{{ hall.waiting }}</b> · {{ t('longestWait') }} {{ fixed(hall.longest_wait_min) }} · v{{ hall.version }} · {{ localTime(hall.as_of) }}</span>
    </div>
    <el-row :gutter="16">
      <el-col :xs="24" :lg="8">
        <el-card :header="t('queues')">
          <el-table :data="queues" size="small" :empty-text="t('noData')">
            <el-table-column :label="t('business')"><template #default="s">{{ businessName(s.row.business) }}</template></el-table-column>
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
          <el-table :data="hasSource ? hall.predictions : []" size="small" :empty-text="t('noData')">
            <el-table-column :label="t('business')"><template #default="s">{{ s.row.business ? businessName(s.row.business) : t('all') }}</template></el-table-column>
            <el-table-column :label="t('predictedWait')"><template #default="s">{{ fixed(s.row.predicted_wait_min) }}</template></el-table-column>
            <el-table-column prop="windows_needed" :label="t('windowsNeeded')" />
          </el-table>
        </el-card>
      </el-col>
      <el-col :xs="24" :lg="16">
        <el-card :header="t('windows')">
          <el-table :data="hall.windows" size="small" :empty-text="t('noData')">
            <el-table-column prop="number" :label="t('window')" width="70" />
            <el-table-column :label="t('state')"><template #default="s">{{ t('win_' + s.row.state) }}</template></el-table-column>
            <el-table-column prop="clerk" :label="t('clerk')" />
            <el-table-column prop="ticket" :label="t('ticket')" />
            <el-table-column :label="t('business')"><template #default="s">{{ businessName(s.row.business) }}</template></el-table-column>
            <el-table-column :label="t('serving')"><template #default="s">{{ fixed(s.row.serving_min) }}</template></el-table-column>
            <el-table-column prop="served_today" :label="t('servedToday')" />
          </el-table>
        </el-card>
        <hall-facility :code="code" :may-command="mayCommand" @written="commandsVersion++" />
        <hall-commands v-if="mayCommand" :code="code" :key="commandsVersion" />
        <el-card :header="t('tickets')" style="margin-top:16px">
          <el-table :data="hall.tickets" size="small" max-height="240" :empty-text="t('noData')" data-testid="tickets">
            <el-table-column prop="ticket" :label="t('ticket')" />
            <el-table-column :label="t('business')"><template #default="s">{{ businessName(s.row.business) }}</template></el-table-column>
            <el-table-column :label="t('since')"><template #default="s">{{ localTime(s.row.since) }}</template></el-table-column>
            <el-table-column :label="t('waitedMin')"><template #default="s">{{ fixed(s.row.waited_min) }}</template></el-table-column>
          </el-table>
        </el-card>
        <el-card :header="t('terminals')" style="margin-top:16px">
          <el-table :data="hall.terminals" size="small" :empty-text="t('noData')">
            <el-table-column prop="terminal" :label="t('terminal')" />
            <el-table-column :label="t('state')"><template #default="s">{{ t('term_' + (s.row.state || 'unknown')) }}</template></el-table-column>
            <el-table-column :label="t('faultyParts')"><template #default="s">{{ faults(s.row.faulty_parts) }}</template></el-table-column>
            <el-table-column :label="t('doorOpen')"><template #default="s">{{ s.row.door_open ? '⚠' : '' }}</template></el-table-column>
            <el-table-column prop="transactions_today" :label="t('servedToday')" />
          </el-table>
        </el-card>
      </el-col>
    </el-row>
  </div>`,
};

// A short tone for a new critical alarm (Web Audio: nothing to download).

export default HallPage;
