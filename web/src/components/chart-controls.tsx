import type { XMode } from '../data/series';

export interface ChartSettings {
  xMode: XMode;
  logScale: boolean;
  smoothing: number;
}

/** Chart settings kept in the hash query (`x=time`, `log=1`, `smooth=0.6`), so a shared link shows the same view. */
export function settingsFromQuery(query: URLSearchParams): ChartSettings {
  const smoothing = Number(query.get('smooth') ?? 0);
  return {
    xMode: query.get('x') === 'time' ? 'time' : 'step',
    logScale: query.get('log') === '1',
    smoothing: Number.isFinite(smoothing) ? Math.min(0.99, Math.max(0, smoothing)) : 0,
  };
}

export function settingsToQuery(settings: ChartSettings, query: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(query);
  const put = (name: string, value: string | null): void => (value === null ? next.delete(name) : next.set(name, value));
  put('x', settings.xMode === 'time' ? 'time' : null);
  put('log', settings.logScale ? '1' : null);
  put('smooth', settings.smoothing > 0 ? String(settings.smoothing) : null);
  return next;
}

/** The toolbar over a page's charts: x axis (step or time), log scale, smoothing. */
export function ChartControls({ settings, onChange }: { settings: ChartSettings; onChange: (settings: ChartSettings) => void }) {
  return (
    <div className="chart-controls" role="toolbar" aria-label="Chart settings">
      <div className="segmented" role="group" aria-label="X axis">
        {(['step', 'time'] as const).map((mode) => (
          <button
            key={mode}
            type="button"
            aria-pressed={settings.xMode === mode}
            className={settings.xMode === mode ? 'active' : undefined}
            onClick={() => onChange({ ...settings, xMode: mode })}
          >
            {mode === 'step' ? 'Step' : 'Time'}
          </button>
        ))}
      </div>
      <label className="check">
        <input
          type="checkbox"
          checked={settings.logScale}
          onChange={(event) => onChange({ ...settings, logScale: event.target.checked })}
        />
        Log scale
      </label>
      <label className="slider">
        Smoothing
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={settings.smoothing}
          onChange={(event) => onChange({ ...settings, smoothing: Number(event.target.value) })}
        />
        <output className="mono">{settings.smoothing.toFixed(2)}</output>
      </label>
    </div>
  );
}
