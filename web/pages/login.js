// The sign-in page.
import { ref, reactive } from './shared.js';

const LoginPage = {
  emits: ['signed-in'],
  setup(_, { emit }) {
    const form = reactive({ username: '', password: '' });
    const error = ref('');
    const busy = ref(false);
    async function submit() {
      busy.value = true;
      error.value = '';
      try {
        emit('signed-in', await api.post('/api/v1/session', form));
      } catch (e) {
        const wait = e.details && e.details.retry_after_s;
        error.value = e.code === 'throttled' ? t('throttled').replace('{s}', wait)
          : e.code === 'overloaded' ? t('signInBusy')
          : e.code === 'bad_credentials' ? t('badCredentials') : e.message;
      } finally { busy.value = false; }
    }
    return { form, error, busy, submit, t };
  },
  template: `
  <div class="login">
    <el-card class="login-card">
      <h2>{{ t('app') }}</h2>
      <el-form @submit.prevent="submit" label-position="top">
        <el-form-item :label="t('username')"><el-input v-model="form.username" name="username" autocomplete="username" /></el-form-item>
        <el-form-item :label="t('password')"><el-input v-model="form.password" name="password" type="password" autocomplete="current-password" show-password /></el-form-item>
        <el-alert v-if="error" :title="error" type="error" :closable="false" show-icon data-testid="login-error" />
        <el-button type="primary" native-type="submit" :loading="busy" data-testid="sign-in" style="margin-top:12px;width:100%">{{ t('signIn') }}</el-button>
      </el-form>
    </el-card>
  </div>`,
};

// How a hall stands: red for an open critical alarm or lost comm, orange for a queue over its
// target wait or a warning, green otherwise.

export default LoginPage;
