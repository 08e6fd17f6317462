// Commands to one hall's systems, by what they are for (a window, the screens): sent through
// the API, never by device address, with each command's state as the hall answers it.
import { ref, reactive, onMounted, onBeforeUnmount, watch, ElMessage } from './shared.js';

const stateTag = { queued: 'info', sent: 'warning', done: 'success', refused: 'danger', unsupported: 'danger', failed: 'danger', expired: 'info' };

const HallCommands = {
  props: { code: String },
  setup(props) {
    const commands = ref([]);
    const form = reactive({ what: 'open_window', window: 1, text: '', minutes: 30 });
    let timer = null;
    async function load() {
      try { commands.value = (await api.get(`/api/v1/halls/${encodeURIComponent(props.code)}/commands?limit=10`)).items; } catch { /* shown as empty */ }
    }
    function body() {
      if (form.what === 'open_window' || form.what === 'close_window') return { object: 'window', kind: form.what, window: form.window };
      if (form.what === 'clear_message') return { object: 'screen', kind: 'clear_message' };
      return { object: 'screen', kind: 'show_message', text: form.text, seconds: Math.min(form.minutes * 60, 65535) };
    }
    async function send() {
      try {
        await api.post(`/api/v1/halls/${encodeURIComponent(props.code)}/commands`, body());
        ElMessage.success(t('commandSent'));
        await load();
      } catch (e) {
        if (e instanceof api.ApiError) ElMessage.error(e.message);
      }
    }
    const describe = (c) => {
      const k = c.command.kind;
      if (k === 'open_window' || k === 'close_window') return t('cmd_' + k) + ' ' + c.command.window;
      if (k === 'show_message') return t('cmd_show_message') + '：' + c.command.text;
      if (k === 'facility_write') return t('cmd_facility_write') + ' ' + c.command.device;  // what was set: the detail
      return t('cmd_' + k);
    };
    watch(() => props.code, load);
    onMounted(() => { load(); timer = setInterval(load, 3000); });
    onBeforeUnmount(() => clearInterval(timer));
    return { t, commands, form, send, describe, stateTag, localTime: api.localTime };
  },
  template: `
  <el-card :header="t('commands')" style="margin-top:16px" data-testid="hall-commands">
    <div class="toolbar">
      <el-select v-model="form.what" style="width:150px" data-testid="command-kind">
        <el-option value="open_window" :label="t('cmd_open_window')" /><el-option value="close_window" :label="t('cmd_close_window')" />
        <el-option value="show_message" :label="t('cmd_show_message')" /><el-option value="clear_message" :label="t('cmd_clear_message')" />
      </el-select>
      <el-input-number v-if="form.what.endsWith('_window')" v-model="form.window" :min="1" :max="999" size="small" data-testid="command-window" />
      <template v-if="form.what === 'show_message'">
        <el-input v-model="form.text" :placeholder="t('noticeText')" maxlength="85" show-word-limit style="width:260px" data-testid="command-text" />
        <el-input-number v-model="form.minutes" :min="1" :max="1092" size="small" /> {{ t('minutes') }}
      </template>
      <el-button type="primary" data-testid="command-send" @click="send">{{ t('send') }}</el-button>
    </div>
    <el-table :data="commands" size="small" :empty-text="t('noData')">
      <el-table-column :label="t('command')" min-width="180"><template #default="s">{{ describe(s.row) }}</template></el-table-column>
      <el-table-column :label="t('state')" width="90"><template #default="s"><el-tag size="small" :type="stateTag[s.row.state]" :data-testid="'command-state-' + s.row.id">{{ t('cmdstate_' + s.row.state) }}</el-tag></template></el-table-column>
      <el-table-column prop="requested_by" :label="t('by')" width="110" />
      <el-table-column :label="t('at')" width="90"><template #default="s">{{ localTime(s.row.requested_at) }}</template></el-table-column>
      <el-table-column prop="detail" :label="t('detail')" min-width="100" />
    </el-table>
  </el-card>`,
};

export default HallCommands;
