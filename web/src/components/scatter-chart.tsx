import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatValue } from '../data/format';
import type { ScatterData } from '../data/scatter';
import { themeColor } from '../theme';
import { useThemeVersion } from './use-theme-version';

/** One point per run (its colour): a param on x, a metric's latest value on y. */
export function ScatterChart({
  scatter,
  colors,
  names,
  xLabel,
  yLabel,
  height = 280,
}: {
  scatter: ScatterData;
  colors: readonly string[];
  names: readonly string[];
  xLabel: string;
  yLabel: string;
  height?: number;
}) {
  const plotRef = useRef<HTMLDivElement>(null);
  const themeVersion = useThemeVersion();

  useEffect(() => {
    const target = plotRef.current;
    if (!target) {
      return;
    }
    const fg = themeColor('--fg-muted') || '#888';
    const grid = themeColor('--grid') || '#ddd';
    const categorical = scatter.kind === 'categorical';
    const axis: uPlot.Axis = {
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      font: '11px system-ui, sans-serif',
    };
    const u = new uPlot(
      {
        width: Math.max(240, target.clientWidth),
        height,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: categorical
            ? { time: false, range: () => [-0.5, Math.max(0.5, scatter.categories.length - 0.5)] }
            : {
                time: false,
                range: (_u, min, max) => {
                  const pad = min === max ? Math.abs(min) * 0.1 || 1 : (max - min) * 0.08;
                  return [min - pad, max + pad];
                },
              },
          y: {
            range: (_u, min, max) => {
              const pad = min === max ? Math.abs(min) * 0.1 || 1 : (max - min) * 0.08;
              return [min - pad, max + pad];
            },
          },
        },
        series: [
          {},
          ...names.map((name, index) => ({
            label: name,
            stroke: colors[index],
            fill: colors[index],
            paths: () => null,
            points: { show: true, size: 11, width: 1, fill: colors[index], stroke: colors[index] },
          })),
        ],
        axes: [
          {
            ...axis,
            label: xLabel,
            space: 70,
            labelFont: '12px system-ui, sans-serif',
            splits: categorical ? () => scatter.categories.map((_, index) => index) : undefined,
            values: (_u, splits) => splits.map((value) => (categorical ? (scatter.categories[value] ?? '') : formatValue(value))),
          },
          {
            ...axis,
            label: yLabel,
            labelFont: '12px system-ui, sans-serif',
            size: 60,
            values: (_u, splits) => splits.map((value) => formatValue(value)),
          },
        ],
      },
      scatter.data as uPlot.AlignedData,
      target,
    );
    const observer = new ResizeObserver(() => u.setSize({ width: Math.max(240, target.clientWidth), height }));
    observer.observe(target);
    return () => {
      observer.disconnect();
      u.destroy();
    };
  }, [scatter, colors, names, xLabel, yLabel, height, themeVersion]);

  return (
    <div
      className="scatter-chart"
      data-testid="scatter-chart"
      data-points={scatter.plotted}
      data-kind={scatter.kind}
      ref={plotRef}
      role="img"
      aria-label={`${yLabel} against ${xLabel}, one point per run`}
    />
  );
}
