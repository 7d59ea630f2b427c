import { useState, type FormEvent } from 'react';
import { auth } from './api/client';

/** Shown when the server refused a request for want of a key: asks once, keeps it for the session. */
export function AuthPrompt({ onDone }: { onDone: () => void }) {
  const [key, setKey] = useState('');
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (key.trim().length > 0) {
      auth.setKey(key.trim());
      onDone();
    }
  };
  return (
    <div className="modal-backdrop" role="presentation">
      <form className="modal" role="dialog" aria-modal="true" aria-labelledby="auth-title" onSubmit={submit}>
        <h2 id="auth-title">API key</h2>
        <p>This server asks for an API key. It stays in this browser tab&apos;s session and is sent as a Bearer header.</p>
        <input
          type="password"
          name="api-key"
          aria-label="API key"
          autoComplete="current-password"
          autoFocus
          value={key}
          onChange={(event) => setKey(event.target.value)}
        />
        <div className="modal-actions">
          <button type="submit" className="primary">
            Use key
          </button>
        </div>
      </form>
    </div>
  );
}
