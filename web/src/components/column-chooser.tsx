import { useEffect, useId, useRef, useState } from 'react';
import { keyColumnId } from '../data/runs-view';

/**
 * A button opening a checklist of every param and metric key of the loaded runs, with a search box.
 * Escape or a click outside closes it; focus returns to the button.
 */
export function ColumnChooser(props: {
  keys: { params: readonly string[]; metrics: readonly string[] };
  chosen: readonly string[];
  onToggle: (id: string) => void;
  onReset: () => void;
}) {
  const { keys, chosen, onToggle, onReset } = props;
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState('');
  const wrapper = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const panelId = useId();

  useEffect(() => {
    if (!open) {
      return;
    }
    const onPointer = (event: PointerEvent): void => {
      if (wrapper.current && !wrapper.current.contains(event.target as Node)) {
        setOpen(false);
      }
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  const needle = search.trim().toLowerCase();
  const groups = (['metrics', 'params'] as const).map((kind) => ({
    kind,
    keys: keys[kind].filter((key) => key.toLowerCase().includes(needle)),
  }));
  const chosenSet = new Set(chosen);
  return (
    <div className="column-chooser" ref={wrapper}>
      <button
        type="button"
        ref={button}
        aria-expanded={open}
        aria-controls={panelId}
        aria-haspopup="true"
        onClick={() => setOpen((value) => !value)}
      >
        Columns ({chosen.length}) ▾
      </button>
      {open ? (
        <div
          className="column-panel"
          id={panelId}
          role="group"
          aria-label="Choose columns"
          onKeyDown={(event) => {
            if (event.key === 'Escape') {
              setOpen(false);
              button.current?.focus();
            }
          }}
        >
          <input
            type="search"
            aria-label="Search columns"
            placeholder="Search keys…"
            autoFocus
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
          <div className="column-groups">
            {groups.map((group) => (
              <fieldset key={group.kind}>
                <legend>
                  {group.kind === 'metrics' ? 'Metrics' : 'Params'} <span className="muted">({group.keys.length})</span>
                </legend>
                {group.keys.length === 0 ? <p className="muted">None</p> : null}
                {group.keys.map((key) => {
                  const id = keyColumnId(group.kind, key);
                  return (
                    <label key={id} className="column-option">
                      <input type="checkbox" aria-label={id} checked={chosenSet.has(id)} onChange={() => onToggle(id)} />
                      <span className="mono">{key}</span>
                    </label>
                  );
                })}
              </fieldset>
            ))}
          </div>
          <div className="column-actions">
            <button type="button" onClick={onReset}>
              Reset to defaults
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Done
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
