// Administration: users, tokens, audit, rules, contacts, maintenance windows, archives.
import { ref, reactive, computed, onMounted, onBeforeUnmount, watch, ElMessage, ElMessageBox } from './shared.js';

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
    return { t, scopeText, tabs, tab, rows, dialog, form, create, revoke, unlock, secret, roles, editable, editor, edit, saveEdit, remove,
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
      <el-table-column :label="t('role')"><template #default="s">{{ t('role_' + s.row.role) }}</template></el-table-column><el-table-column :label="t('scope')"><template #default="s">{{ scopeText(s.row.scope) }}</template></el-table-column>
      <el-table-column :label="t('state')"><template #default="s">{{ s.row.disabled ? '✕' : s.row.locked ? '🔒' : '✓' }}</template></el-table-column>
      <el-table-column :label="t('actions')"><template #default="s"><el-button v-if="s.row.locked" size="small" @click="unlock(s.row)">{{ t('unlock') }}</el-button></template></el-table-column>
    </el-table>
    <el-table v-if="tab === 'tokens'" :data="rows" size="small">
      <el-table-column prop="name" :label="t('name')" /><el-table-column :label="t('role')"><template #default="s">{{ t('role_' + s.row.role) }}</template></el-table-column><el-table-column :label="t('scope')"><template #default="s">{{ scopeText(s.row.scope) }}</template></el-table-column>
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
        <el-form-item :label="t('role')"><el-select v-model="form.role"><el-option v-for="r in roles" :key="r" :label="t('role_' + r)" :value="r" /></el-select></el-form-item>
        <el-form-item :label="t('scope')"><el-input v-model="form.scope" placeholder="province / city:4101 / hall:4101001" data-testid="token-scope" /></el-form-item>
        <el-form-item v-if="tab === 'tokens'" :label="t('rate')"><el-input v-model="form.requests_per_minute" /></el-form-item>
      </el-form>
      <template #footer><el-button type="primary" @click="create" data-testid="admin-save">{{ t('create') }}</el-button></template>
    </el-dialog>
  </div>`,
};

export default AdminPage;
