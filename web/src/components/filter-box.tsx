import { useEffect, useRef, useState } from 'react';
import { locateFilterError } from '../data/filter-error';

/** How long typing must pause before the filter applies by itself (Enter applies at once). */
const DEBOUNCE_MS = 900;

/**
 * The runs filter (MLflow grammar), applied on Enter or after a pause. A server error is shown under
 * the box with the filter echoed, the offending token highlighted and a caret under it.
 */
export function FilterBox(props: { applied: string; error: string | null; onApply: (filter: string) => void }) {
  const { applied, error, onApply } = props;
  const [text, setText] = useState(applied);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // Follows the applied filter when it changes from outside (back/forward, a shared link).
  useEffect(() => setText(applied), [applied]);
  useEffect(() => () => (timer.current === null ? undefined : clearTimeout(timer.current)), []);

  const apply = (value: string): void => {
    if (timer.current !== null) {
      clearTimeout(timer.current);
      timer.current = null;
    }
    onApply(value.trim());
  };
  const located = error ? locateFilterError(applied, error) : null;
  return (
    <div className="filter-box">
      <div className="filter-input">
        <input
          type="search"
          aria-label="Filter runs"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'filter-error' : undefined}
          placeholder="metrics.acc > 0.5 and params.optimizer = 'adam'"
          spellCheck={false}
          autoComplete="off"
          value={text}
          onChange={(event) => {
            const value = event.target.value;
            setText(value);
            if (timer.current !== null) {
              clearTimeout(timer.current);
            }
            timer.current = setTimeout(() => {
              timer.current = null;
              if (value.trim() !== applied) {
                onApply(value.trim());
              }
            }, DEBOUNCE_MS);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              apply(text);
            } else if (event.key === 'Escape') {
              setText(applied);
            }
          }}
        />
      </div>
      {error ? (
        <div id="filter-error" className="filter-error" role="alert" data-testid="filter-error">
          {located ? (
            <pre className="filter-echo" aria-hidden="true">
              {located.before}
              <mark data-testid="filter-error-token" data-position={located.position}>
                {located.token || '\u00a0'}
              </mark>
              {located.after}
              {'\n'}
              <span className="filter-caret">{`${' '.repeat(located.position)}^`}</span>
            </pre>
          ) : null}
          <span className="error-text">{error}</span>
        </div>
      ) : null}
    </div>
  );
}
