// Acquisition channels (采集通道) and the protocol registry: each channel's protocol, link, peer,
// comm state and counts, refreshed every 5 s; for the province's administrator, a test of a
// channel, a channel added or retired, and protocol descriptions registered, read and retired —
// all while halld runs (docs/protocols/adapters.md).
import { ref, reactive, computed, onMounted, onBeforeUnmount, ElMessage, ElMessageBox } from './shared.js';

const ChannelsPage = {
  props: { principal: Object },
  setup(props) {
    const administrator = props.principal.role === 'province_admin';
    const tab = ref('channels');
    const channels = ref([]);
    const protocols = ref([]);
    const hallNames = reactive({});
    const loaded = ref(false);
    async function load() {
      try {
        const [status, registry] = await Promise.all([api.get('/api/v1/channels'), api.get('/api/v1/protocols')]);
        channels.value = status.items || [];
        protocols.value = registry.items || [];
        loaded.value = true;
      } catch (e) { ElMessage.error(e.message); }
    }
    async function loadHalls() {
      try {
        for (const h of (await api.get('/api/v1/halls?limit=1000')).items || []) hallNames[h.code] = h.name;
      } catch { /* codes are shown instead */ }
    }
    const refreshing = setInterval(load, 5000);
    onBeforeUnmount(() => clearInterval(refreshing));
    onMounted(() => { load(); loadHalls(); });

    const counts = computed(() => {
      const by = { up: 0, degraded: 0, down: 0 };
      for (const c of channels.value) by[c.state] = (by[c.state] || 0) + 1;
      return by;
    });
    const described = computed(() => Object.fromEntries(protocols.value.map((p) => [p.name, p])));
    // What a channel speaks, as a person reads it: halld's own protocol by its family, or the
    // description's title with its name and version.
    function protocolText(name) {
      if (t('protocol_' + name) !== 'protocol_' + name) return t('protocol_' + name);
      const p = described.value[name];
      return p ? `${p.title || p.name}（${p.name} v${p.version}）` : name;
    }
    const stateType = (state) => ({ up: 'success', degraded: 'warning', down: 'danger' }[state] || 'info');
    // The marketing system's WebService serves the whole province; it is configured, not a channel.
    const configurable = (row) => row.protocol !== 'marketing';
    const hallText = (row) => (!configurable(row) ? t('province')
      : row.hall ? `${hallNames[row.hall] || ''} ${row.hall}`.trim() : t('manyHalls'));
    // A phone shows each channel as a card: its state must be seen without scrolling sideways.
    const narrow = ref(window.innerWidth < 700);
    const measure = () => (narrow.value = window.innerWidth < 700);
    window.addEventListener('resize', measure);
    onBeforeUnmount(() => window.removeEventListener('resize', measure));
    const lastEvent = (row) => {
      const times = (row.devices || []).map((d) => d.last_event_at).filter(Boolean).sort();
      return times.length ? api.localTime(times[times.length - 1], 480, true) : '—';
    };

    // A test: the channel's state now and, for a TCP client, one connection to its peer.
    const test = reactive({ open: false, busy: false, code: '', result: null, error: '' });
    async function runTest(row) {
      Object.assign(test, { open: true, busy: true, code: row.code, result: null, error: '' });
      try { test.result = await api.post(`/api/v1/channels/${encodeURIComponent(row.code)}/test`); } catch (e) { test.error = e.message; }
      test.busy = false;
    }
    async function retireChannel(row) {
      try {
        await ElMessageBox.confirm(t('confirmRetireChannel', { code: row.code }), t('retire'));
        await api.del('/api/v1/channels/' + encodeURIComponent(row.code));
        ElMessage.success(t('saved'));
        load();
      } catch (e) { if (e instanceof api.ApiError) ElMessage.error(e.message); }
    }

    // A TCP channel added from a form; other links come with the archives (docs/archives.md).
    const adding = reactive({ open: false, code: '', hall: '', protocol: 'queue_eval', host: '', port: 9000, error: '', busy: false });
    const protocolChoices = computed(() => [
      { value: 'queue_eval', label: t('protocol_queue_eval') },
      { value: 'terminal', label: t('protocol_terminal') },
      ...protocols.value.filter((p) => !p.retired_at && p.family !== 'modbus').map((p) => ({ value: p.name, label: protocolText(p.name) })),
    ]);
    async function addChannel() {
      Object.assign(adding, { busy: true, error: '' });
      const channel = { protocol: adding.protocol, link: 'tcp_client', host: adding.host.trim(), port: Number(adding.port) };
      if (adding.hall.trim()) channel.hall = adding.hall.trim();
      try {
        const answer = await api.put('/api/v1/channels/' + encodeURIComponent(adding.code.trim()), channel);
        const refused = answer.applied.refused || [];
        if (refused.length) adding.error = refused.join('；'); else { adding.open = false; ElMessage.success(t('channelStarted')); }
        load();
      } catch (e) {
        const problems = (e.details && e.details.problems) || [];
        adding.error = problems.length ? problems.map((p) => `${p.location}：${p.reason}`).join('；') : e.message;
      }
      adding.busy = false;
    }

    // A description registered (or changed) from its text; its name is the text's `protocol`.
    const upload = reactive({ open: false, text: '', error: '', busy: false });
    async function pickDescription(event) {
      const file = event.target.files[0];
      if (file) upload.text = await file.text();
    }
    async function saveDescription() {
      const name = (upload.text.match(/^protocol:\s*([a-z0-9_]+)\s*$/m) || [])[1];
      if (!name) { upload.error = t('descriptionNeedsName'); return; }
      Object.assign(upload, { busy: true, error: '' });
      try {
        const answer = await api.put('/api/v1/protocols/' + name, { text: upload.text });
        upload.open = false;
        ElMessage.success(t('description_' + answer.outcome, { name }));
        load();
      } catch (e) { upload.error = e.message; }
      upload.busy = false;
    }
    const viewing = reactive({ open: false, protocol: null });
    async function view(row) {
      try { Object.assign(viewing, { open: true, protocol: await api.get('/api/v1/protocols/' + row.name) }); } catch (e) { ElMessage.error(e.message); }
    }
    async function retireProtocol(row) {
      try {
        await ElMessageBox.confirm(t('confirmRetireProtocol', { name: row.name }), t('retire'));
        await api.del('/api/v1/protocols/' + row.name);
        load();
      } catch (e) { if (e instanceof api.ApiError) ElMessage.error(e.message); }
    }
    return { t, administrator, tab, channels, protocols, loaded, counts, protocolText, stateType, hallText, lastEvent, configurable, narrow,
      test, runTest, retireChannel, adding, protocolChoices, addChannel, upload, pickDescription, saveDescription,
      viewing, view, retireProtocol, localTime: api.localTime };
  },
  template: `
  <div class="channels-page">
    <div class="tiles">
      <div class="tile"><div class="tile-label">{{ t('channelsTotal') }}</div><div class="tile-value" data-testid="channels-total">{{ channels.length }}</div></div>
      <div class="tile ok"><div class="tile-label">{{ t('state_up') }}</div><div class="tile-value">{{ counts.up || 0 }}</div></div>
      <div class="tile warn"><div class="tile-label">{{ t('state_degraded') }}</div><div class="tile-value">{{ counts.degraded || 0 }}</div></div>
      <div class="tile bad"><div class="tile-label">{{ t('state_down') }}</div><div class="tile-value">{{ counts.down || 0 }}</div></div>
    </div>
    <el-tabs v-model="tab">
      <el-tab-pane :label="t('channels')" name="channels" />
      <el-tab-pane :label="t('protocolRegistry')" name="protocols" />
    </el-tabs>
    <template v-if="tab === 'channels'">
      <div class="toolbar" v-if="administrator">
        <el-button type="primary" @click="adding.open = true" data-testid="channel-add">{{ t('addChannel') }}</el-button>
      </div>
      <div v-if="narrow" class="channel-cards" data-testid="channels-table">
        <div v-if="!channels.length" class="hint">{{ loaded ? t('noData') : t('loading') }}</div>
        <div v-for="row in channels" :key="row.code" class="channel-card">
          <div class="channel-card-head"><b>{{ row.code }}</b>
            <span class="state-badge" :class="row.state" :data-state="row.state" data-testid="channel-state">{{ t('state_' + row.state) }}</span></div>
          <div>{{ hallText(row) }}</div>
          <div class="sub" data-testid="channel-protocol">{{ protocolText(row.protocol) }}</div>
          <div class="sub">{{ t('link_' + row.link) }} · {{ row.peer }}</div>
          <div class="sub">{{ t('eventsReceived') }} {{ row.events_received.toLocaleString() }} · {{ t('lastEvent') }} {{ lastEvent(row) }}</div>
          <div v-if="row.last_down_reason" class="sub">{{ t('lastDown') }}：{{ row.last_down_reason }}</div>
          <div v-if="administrator && configurable(row)" class="channel-card-actions">
            <el-button size="small" @click="runTest(row)" data-testid="channel-test">{{ t('test') }}</el-button>
            <el-button size="small" type="danger" @click="retireChannel(row)">{{ t('retire') }}</el-button></div>
        </div>
      </div>
      <el-table v-else :data="channels" size="small" :empty-text="loaded ? t('noData') : t('loading')" data-testid="channels-table" class="wide-table">
        <el-table-column prop="code" :label="t('code')" min-width="120" fixed />
        <el-table-column :label="t('hallName')" min-width="160"><template #default="s">{{ hallText(s.row) }}</template></el-table-column>
        <el-table-column :label="t('protocol')" min-width="200"><template #default="s"><span data-testid="channel-protocol">{{ protocolText(s.row.protocol) }}</span></template></el-table-column>
        <el-table-column :label="t('link')" min-width="150"><template #default="s">{{ t('link_' + s.row.link) }}<div class="sub">{{ s.row.peer }}</div></template></el-table-column>
        <el-table-column :label="t('commState')" width="90"><template #default="s">
          <el-tag :type="stateType(s.row.state)" size="small" :data-state="s.row.state" data-testid="channel-state">{{ t('state_' + s.row.state) }}</el-tag></template></el-table-column>
        <el-table-column :label="t('eventsReceived')" width="100" align="right"><template #default="s">{{ s.row.events_received.toLocaleString() }}</template></el-table-column>
        <el-table-column :label="t('lastEvent')" width="160"><template #default="s">{{ lastEvent(s.row) }}</template></el-table-column>
        <el-table-column :label="t('connects')" width="80" align="right" prop="connects" />
        <el-table-column :label="t('lastDown')" min-width="160"><template #default="s">{{ s.row.last_down_reason || '—' }}</template></el-table-column>
        <el-table-column v-if="administrator" :label="t('actions')" width="150" fixed="right"><template #default="s">
          <template v-if="configurable(s.row)">
            <el-button size="small" @click="runTest(s.row)" data-testid="channel-test">{{ t('test') }}</el-button>
            <el-button size="small" type="danger" @click="retireChannel(s.row)">{{ t('retire') }}</el-button></template></template></el-table-column>
      </el-table>
    </template>
    <template v-if="tab === 'protocols'">
      <div class="toolbar" v-if="administrator">
        <el-button type="primary" @click="upload.open = true" data-testid="protocol-upload">{{ t('uploadDescription') }}</el-button>
      </div>
      <el-table :data="protocols" size="small" :empty-text="loaded ? t('noData') : t('loading')" data-testid="protocols-table" class="wide-table">
        <el-table-column prop="name" :label="t('name')" min-width="160" fixed />
        <el-table-column prop="title" :label="t('title')" min-width="180" />
        <el-table-column :label="t('family')" width="110"><template #default="s">{{ t('family_' + s.row.family) }}</template></el-table-column>
        <el-table-column prop="version" :label="t('version')" width="60" align="right" />
        <el-table-column :label="t('origin')" width="90"><template #default="s">{{ t('origin_' + s.row.origin) }}</template></el-table-column>
        <el-table-column :label="t('checksum')" width="120"><template #default="s"><code :title="s.row.checksum">{{ s.row.checksum.slice(0, 12) }}</code></template></el-table-column>
        <el-table-column :label="t('usedBy')" min-width="140"><template #default="s">{{ s.row.channels.join('、') || '—' }}</template></el-table-column>
        <el-table-column :label="t('changedAt')" width="160"><template #default="s">{{ localTime(s.row.changed_at, 480, true) }}</template></el-table-column>
        <el-table-column :label="t('state')" width="90"><template #default="s">
          <span class="state-badge" :class="s.row.retired_at ? 'retired' : 'up'">{{ s.row.retired_at ? t('retired') : t('inForce') }}</span></template></el-table-column>
        <el-table-column :label="t('actions')" width="150"><template #default="s">
          <el-button size="small" @click="view(s.row)">{{ t('view') }}</el-button>
          <el-button v-if="administrator && s.row.origin === 'api' && !s.row.retired_at && !s.row.channels.length" size="small" type="danger" @click="retireProtocol(s.row)">{{ t('retire') }}</el-button></template></el-table-column>
      </el-table>
    </template>

    <el-dialog v-model="test.open" :title="t('channelTest') + ' · ' + test.code" width="min(480px, 94vw)">
      <div v-if="test.busy">{{ t('testing') }}</div>
      <el-alert v-else-if="test.error" type="error" :closable="false" :title="test.error" />
      <el-descriptions v-else-if="test.result" :column="1" border size="small" data-testid="channel-test-result">
        <el-descriptions-item :label="t('commState')">{{ t('state_' + test.result.channel.state) }}</el-descriptions-item>
        <el-descriptions-item :label="t('deviceLoggedIn')">{{ test.result.channel.logged_in ? t('yes') : t('no') }}</el-descriptions-item>
        <el-descriptions-item :label="t('peer')">{{ test.result.channel.peer }}</el-descriptions-item>
        <el-descriptions-item v-if="test.result.probe" :label="t('probe')">
          <span :data-reached="test.result.probe.reached" data-testid="probe">{{ test.result.probe.reached ? t('probeReached', { ms: test.result.probe.took_ms }) : t('probeFailed', { why: test.result.probe.detail }) }}</span></el-descriptions-item>
        <el-descriptions-item v-else :label="t('probe')">{{ t('probeNotTcp') }}</el-descriptions-item>
      </el-descriptions>
    </el-dialog>
    <el-dialog v-model="adding.open" :title="t('addChannel')" width="min(460px, 94vw)">
      <el-form label-width="90px">
        <el-form-item :label="t('code')"><el-input v-model="adding.code" placeholder="qs-4101001" data-testid="add-code" /></el-form-item>
        <el-form-item :label="t('hallName')"><el-input v-model="adding.hall" :placeholder="t('hallCodeOrMany')" data-testid="add-hall" /></el-form-item>
        <el-form-item :label="t('protocol')"><el-select v-model="adding.protocol" data-testid="add-protocol" style="width:100%">
          <el-option v-for="p in protocolChoices" :key="p.value" :label="p.label" :value="p.value" /></el-select></el-form-item>
        <el-form-item :label="t('host')"><el-input v-model="adding.host" placeholder="10.41.1.20" data-testid="add-host" /></el-form-item>
        <el-form-item :label="t('port')"><el-input-number v-model="adding.port" :min="1" :max="65535" data-testid="add-port" /></el-form-item>
      </el-form>
      <div class="hint">{{ t('otherLinksByArchive') }}</div>
      <el-alert v-if="adding.error" type="error" :closable="false" :title="adding.error" data-testid="add-error" />
      <template #footer><el-button type="primary" :loading="adding.busy" @click="addChannel" data-testid="add-save">{{ t('save') }}</el-button></template>
    </el-dialog>
    <el-dialog v-model="upload.open" :title="t('uploadDescription')" width="min(640px, 94vw)">
      <input type="file" accept=".yaml,.yml,.json" @change="pickDescription" />
      <el-input v-model="upload.text" type="textarea" :rows="14" class="json-editor" :placeholder="t('descriptionPlaceholder')" data-testid="upload-text" />
      <el-alert v-if="upload.error" type="error" :closable="false" :title="upload.error" data-testid="upload-error" />
      <template #footer><el-button type="primary" :loading="upload.busy" @click="saveDescription" data-testid="upload-save">{{ t('checkAndSave') }}</el-button></template>
    </el-dialog>
    <el-dialog v-model="viewing.open" :title="viewing.protocol ? viewing.protocol.name + ' v' + viewing.protocol.version : ''" width="min(720px, 94vw)">
      <pre class="description-text" v-if="viewing.protocol">{{ viewing.protocol.text }}</pre>
    </el-dialog>
  </div>`,
};

export default ChannelsPage;
