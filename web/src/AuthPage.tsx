import { useState } from 'preact/hooks';
import { login, register } from './api/session';
import { useLang, useT } from './i18n';
import { describeError } from './ui/errors';
import { LangSwitch } from './ui/LangSwitch';

/** Sign in, or create an account and sign in. */
export function AuthPage({ notice }: { notice?: string }) {
  const t = useT();
  const lang = useLang();
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'register') await register(username.trim(), password, displayName.trim() || undefined);
      await login(username.trim(), password);
    } catch (err) {
      setError(describeError(lang, err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth-page">
      <div class="auth-card">
        <div class="auth-head">
          <h1>{t('app.name')}</h1>
          <LangSwitch />
        </div>
        <h2>{mode === 'login' ? t('auth.login') : t('auth.register')}</h2>
        {notice && <p class="notice" role="status">{notice}</p>}
        <form onSubmit={submit}>
          <label>
            {t('auth.username')}
            <input name="username" autoComplete="username" required value={username}
              onInput={(e) => setUsername(e.currentTarget.value)} />
          </label>
          <label>
            {t('auth.password')}
            <input name="password" type="password" required minLength={8}
              autoComplete={mode === 'login' ? 'current-password' : 'new-password'} value={password}
              onInput={(e) => setPassword(e.currentTarget.value)} />
          </label>
          {mode === 'register' && (
            <label>
              {t('auth.displayName')}
              <input name="display_name" value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
            </label>
          )}
          {error && <p class="error" role="alert">{error}</p>}
          <button type="submit" class="primary" disabled={busy}>
            {mode === 'login' ? t('auth.login') : t('auth.register')}
          </button>
        </form>
        <button type="button" class="link" onClick={() => { setMode(mode === 'login' ? 'register' : 'login'); setError(null); }}>
          {mode === 'login' ? t('auth.toRegister') : t('auth.toLogin')}
        </button>
      </div>
    </main>
  );
}
