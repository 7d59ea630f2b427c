import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ApiError } from '../api/client';
import { fetchSeries } from '../data/run-api';
import { bucketsToColumns, buildChartData, lastPoint, type RunColumns, type RunSlots, type XMode } from '../data/series';
import { formatDuration, formatValue } from '../data/format';
import { pointsForWidth, stepWindow, type StepWindow, type XRange } from '../data/zoom';
import { themeColor } from '../theme';
import { useThemeVersion } from './use-theme-version';

/** A run drawn in a chart: its colour, the name its legend shows, and where its wall-time axis starts. */
export interface ChartRun {
  id: string;
  name: string;
  color: string;
  /** Epoch ms the time axis counts from (the run's start); defaults to its first point. */
  startTime?: number;
}

export interface MetricChartProps {
  metricKey: string;
  runs: readonly ChartRun[];
  xMode: XMode;
  logScale: boolean;
  /** EMA weight on the `last` line, 0 (off) to 0.99. */
  smoothing: number;
  /** Bump to fetch again (a live change); a zoomed chart keeps its window, an unzoomed one grows. */
  refresh?: number;
  height?: number;
}

/** `#rrggbb` with an alpha, for bands and faded lines. */
function withAlpha(hex: string, alpha: number): string {
  const value = Number.parseInt(hex.replace('#', ''), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}

function nearestIndex(values: readonly number[], target: number): number {
  let low = 0;
  let high = values.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (values[middle] < target) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  if (low > 0 && Math.abs(values[low - 1] - target) <= Math.abs(values[low] - target)) {
    return low - 1;
  }
  return low;
}

/**
 * One metric as a uPlot chart, for one run or several overlaid: per run a min/max band (so a
 * spike inside a bucket is never hidden) and the bucket's last value as a line. Data comes from
 * /series with about one bucket per pixel; dragging zooms and re-queries the visible steps,
 * double-click (or "Reset zoom") goes back to the whole range. The uPlot instance lives as long
 * as the chart's structure (runs, log scale, smoothing on/off, theme) stays; data changes use
 * setData/setScale. Instrumented for benchmarks and browser tests (see WEB.md).
 */
export function MetricChart({ metricKey, runs, xMode, logScale, smoothing, refresh = 0, height = 240 }: MetricChartProps) {
  const wrapperRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<HTMLDivElement>(null);
  const readoutRef = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const slots = useRef<RunSlots[]>([]);
  const columns = useRef<(RunColumns | null)[]>([]);
  const zoom = useRef<XRange | null>(null);
  const draws = useRef(0);
  const request = useRef<{ controller: AbortController; window: string } | null>(null);
  const pending = useRef(false);
  const [zoomed, setZoomed] = useState(false);
  const [status, setStatus] = useState<{ loading: boolean; error?: string; dropped: number; empty: boolean }>({
    loading: true,
    dropped: 0,
    empty: false,
  });
  const themeVersion = useThemeVersion();

  // The latest props, read by uPlot's hooks and the loader without re-creating them.
  const props = useRef({ metricKey, runs, xMode, logScale, smoothing });
  props.current = { metricKey, runs, xMode, logScale, smoothing };

  const runKey = runs.map((run) => `${run.id}:${run.color}:${run.name}:${run.startTime ?? ''}`).join('|');
  const smoothed = smoothing > 0;

  /** Puts the loaded columns into the plot: one draw, keeping a zoom window if there is one. */
  const render = (): void => {
    const u = plot.current;
    // Right after the runs changed the instance may be newer than the data: wait for the fetch.
    if (!u || columns.current.length !== props.current.runs.length) {
      return;
    }
    const chart = buildChartData(columns.current, { logScale: props.current.logScale, smoothing: props.current.smoothing });
    slots.current = chart.slots;
    const window = zoom.current;
    u.batch(() => {
      u.setData(chart.data as uPlot.AlignedData, window === null);
      if (window) {
        u.setScale('x', window);
      }
    });
    setStatus((previous) =>
      previous.dropped === chart.dropped && previous.empty === (chart.data[0].length === 0) && !previous.loading && !previous.error
        ? previous
        : { loading: false, dropped: chart.dropped, empty: chart.data[0].length === 0 },
    );
    updateReadout(null);
  };

  /**
   * Fetches the current window (or everything) for every run. A request for a different window
   * aborts the one in flight; a refresh of the same window while one is in flight is folded into
   * one follow-up fetch, so a burst of live changes never starves the chart.
   */
  const load = (): void => {
    const { runs: currentRuns, metricKey: key, xMode: mode } = props.current;
    const width = plotRef.current?.clientWidth ?? 600;
    const points = pointsForWidth(width);
    const range = zoom.current;
    const windows: (StepWindow | null)[] = currentRuns.map((_, index) => {
      if (!range) {
        return null;
      }
      const drawn = columns.current[index];
      return stepWindow(range, mode, points, drawn ?? undefined);
    });
    const windowKey = JSON.stringify([key, mode, points, currentRuns.map((run) => run.id), windows]);
    if (request.current) {
      if (request.current.window === windowKey) {
        pending.current = true;
        return;
      }
      request.current.controller.abort();
    }
    const controller = new AbortController();
    request.current = { controller, window: windowKey };
    pending.current = false;
    const fetches = currentRuns.map((run, index) =>
      fetchSeries(run.id, key, points, windows[index], controller.signal).then(
        (series) => bucketsToColumns(series.buckets, mode, run.startTime),
        (error: unknown) => {
          if (controller.signal.aborted) {
            throw error;
          }
          // A run without this metric has no series: it just has no line.
          if (error instanceof ApiError && error.status === 404) {
            return null;
          }
          throw error;
        },
      ),
    );
    Promise.all(fetches).then(
      (loaded) => {
        if (request.current?.controller !== controller) {
          return;
        }
        request.current = null;
        columns.current = loaded;
        render();
        if (pending.current) {
          load();
        }
      },
      (error: unknown) => {
        if (request.current?.controller !== controller) {
          return;
        }
        request.current = null;
        setStatus({ loading: false, error: error instanceof Error ? error.message : String(error), dropped: 0, empty: false });
      },
    );
  };

  /** The legend under the plot: each run's value at the cursor, or its latest value. */
  const updateReadout = (xValue: number | null): void => {
    const readout = readoutRef.current;
    if (!readout) {
      return;
    }
    const rows = readout.children;
    props.current.runs.forEach((run, index) => {
      const row = rows[index] as HTMLElement | undefined;
      const value = row?.querySelector<HTMLElement>('[data-value]');
      if (!value) {
        return;
      }
      const runColumns = columns.current[index];
      if (!runColumns || runColumns.x.length === 0) {
        value.textContent = '—';
        return;
      }
      const at = xValue === null ? runColumns.x.length - 1 : nearestIndex(runColumns.x, xValue);
      const step = runColumns.steps[at];
      const min = runColumns.min[at];
      const max = runColumns.max[at];
      const range = min !== null && max !== null && min !== max ? ` (min ${formatValue(min)} · max ${formatValue(max)})` : '';
      const when = props.current.xMode === 'time' ? ` · ${formatDuration(runColumns.x[at])}` : '';
      value.textContent = `${formatValue(runColumns.lastRaw[at])}${range} · step ${step}${when}`;
    });
  };

  // Structure: (re)create the uPlot instance. Data already loaded is kept and drawn again.
  useEffect(() => {
    const target = plotRef.current;
    const wrapper = wrapperRef.current;
    if (!target || !wrapper) {
      return;
    }
    const fg = themeColor('--fg-muted') || '#888';
    const grid = themeColor('--grid') || '#ddd';
    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    runs.forEach((run) => {
      const minIndex = series.length;
      series.push(
        { label: `${run.name} min`, stroke: withAlpha(run.color, 0.35), width: 1, spanGaps: true, points: { show: false } },
        { label: `${run.name} max`, stroke: withAlpha(run.color, 0.35), width: 1, spanGaps: true, points: { show: false } },
        {
          label: run.name,
          stroke: smoothed ? withAlpha(run.color, 0.35) : run.color,
          width: smoothed ? 1 : 1.5,
          spanGaps: true,
          points: { show: false },
        },
      );
      if (smoothed) {
        series.push({ label: `${run.name} (smoothed)`, stroke: run.color, width: 2, spanGaps: true, points: { show: false } });
      }
      bands.push({ series: [minIndex + 1, minIndex], fill: withAlpha(run.color, 0.16) });
    });
    const axis = (): uPlot.Axis => ({
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      font: '11px system-ui, sans-serif',
    });
    const options: uPlot.Options = {
      width: Math.max(200, target.clientWidth),
      height,
      legend: { show: false },
      padding: [8, 12, 0, 4],
      scales: {
        x: { time: false },
        y: logScale ? { distr: 3 } : {},
      },
      series,
      bands,
      axes: [
        {
          ...axis(),
          values: (_u, splits) => splits.map((value) => (props.current.xMode === 'time' ? formatDuration(value) : formatValue(value))),
        },
        { ...axis(), size: 56, values: (_u, splits) => splits.map((value) => formatValue(value)) },
      ],
      cursor: {
        points: { show: false },
        drag: { x: true, y: false, setScale: false },
        bind: {
          // Double-click goes back to the whole range (and fetches it), not just to the window's data.
          dblclick: () => () => {
            resetZoom();
            return null;
          },
        },
      },
      hooks: {
        draw: [
          (u) => {
            draws.current++;
            const element = wrapperRef.current;
            if (!element) {
              return;
            }
            const last = lastPoint(columns.current[0] ?? null);
            element.dataset.draws = String(draws.current);
            element.dataset.points = String(u.data[0]?.length ?? 0);
            element.dataset.xMin = String(u.scales.x.min ?? '');
            element.dataset.xMax = String(u.scales.x.max ?? '');
            element.dataset.lastStep = last ? String(last.step) : '';
            element.dataset.lastValue = last ? String(last.value) : '';
            element.dataset.yMax = String(u.scales.y.max ?? '');
            element.dataset.yMin = String(u.scales.y.min ?? '');
            performance.mark('entrenar:chart-drawn', { detail: { key: props.current.metricKey, draws: draws.current } });
          },
        ],
        setSelect: [
          (u) => {
            const { left, width } = u.select;
            if (width < 4) {
              return;
            }
            const min = u.posToVal(left, 'x');
            const max = u.posToVal(left + width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoom.current = { min, max };
            setZoomed(true);
            // The coarse data zooms at once; the detail of the window follows.
            u.setScale('x', { min, max });
            load();
          },
        ],
        setCursor: [
          (u) => {
            const index = u.cursor.idx;
            updateReadout(index === null || index === undefined ? null : (u.data[0][index] ?? null));
          },
        ],
      },
    };
    const u = new uPlot(options, [[]], target);
    plot.current = u;
    if (columns.current.length > 0) {
      render();
    }
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const width = Math.max(200, target.clientWidth);
        if (width !== u.width) {
          u.setSize({ width, height });
        }
      });
    });
    observer.observe(target);
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
      u.destroy();
      plot.current = null;
    };
    // render/load/resetZoom read the latest props through refs: the instance depends on structure only.
  }, [runKey, logScale, smoothed, height, themeVersion]);

  const resetZoom = (): void => {
    if (zoom.current === null) {
      return;
    }
    zoom.current = null;
    setZoomed(false);
    load();
  };

  // What is plotted changed: start again from the whole range.
  useEffect(() => {
    zoom.current = null;
    setZoomed(false);
    columns.current = [];
    setStatus((previous) => ({ ...previous, loading: true }));
    load();
    return () => {
      request.current?.controller.abort();
      request.current = null;
    };
  }, [metricKey, runKey, xMode]);

  // A live change: fetch the same window again.
  useEffect(() => {
    if (refresh > 0) {
      load();
    }
  }, [refresh]);

  // Smoothing weight moved (on stays on): new data, same instance.
  useEffect(() => {
    if (columns.current.length > 0) {
      render();
    }
  }, [smoothing]);

  return (
    <div
      ref={wrapperRef}
      className="metric-chart"
      data-testid="metric-chart"
      data-metric-key={metricKey}
      data-run-ids={runs.map((run) => run.id).join(',')}
      data-draws="0"
      data-points="0"
      data-loading={status.loading ? 'true' : 'false'}
    >
      <div className="metric-chart-head">
        <h3 className="metric-chart-title" title={metricKey}>
          {metricKey}
        </h3>
        {zoomed ? (
          <button type="button" className="small" onClick={resetZoom} aria-label={`Reset zoom of ${metricKey}`}>
            Reset zoom
          </button>
        ) : null}
      </div>
      <div ref={plotRef} className="metric-chart-plot" style={{ height }} role="img" aria-label={`Chart of ${metricKey}`} />
      {status.error ? <p className="error-text small-text">Could not load: {status.error}</p> : null}
      {!status.error && !status.loading && status.empty ? <p className="muted small-text">No points yet.</p> : null}
      {status.dropped > 0 ? (
        <p className="muted small-text">
          {status.dropped} value{status.dropped === 1 ? '' : 's'} ≤ 0 not shown on the log scale.
        </p>
      ) : null}
      <div ref={readoutRef} className="metric-chart-readout" aria-live="off">
        {runs.map((run) => (
          <div key={run.id} className="metric-chart-readout-row">
            <span className="swatch" style={{ background: run.color }} aria-hidden="true" />
            <span className="readout-name">{run.name}</span>
            <span className="readout-value mono" data-value="">
              —
            </span>
          </div>
        ))}
      </div>
    </div>
  );
}
