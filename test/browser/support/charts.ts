import { crc32, deflateSync } from 'node:zlib';
import type { Locator, Page } from 'playwright-core';

/** The instrumentation every metric chart carries (WEB.md), as numbers where they are numbers. */
export interface ChartState {
  draws: number;
  points: number;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  lastStep: number;
  lastValue: number;
  runIds: string[];
}

export function chart(page: Page, key: string): Locator {
  return page.locator(`[data-testid="metric-chart"][data-metric-key="${key}"]`);
}

/* Page-side code sees the DOM through these few shapes: this project's Node type-check has no DOM library. */
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray } } | null;
}
interface PageElement {
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): PageCanvas | null;
}

export async function chartState(locator: Locator): Promise<ChartState> {
  const data = await locator.evaluate((element: unknown) => ({ ...(element as PageElement).dataset }));
  return {
    draws: Number(data.draws),
    points: Number(data.points),
    xMin: Number(data.xMin),
    xMax: Number(data.xMax),
    yMin: Number(data.yMin),
    yMax: Number(data.yMax),
    lastStep: Number(data.lastStep),
    lastValue: Number(data.lastValue),
    runIds: (data.runIds ?? '').split(',').filter(Boolean),
  };
}

/** Polls the chart's instrumentation until `ready` holds; returns that state (or throws with the last one). */
export async function waitForChart(page: Page, key: string, ready: (state: ChartState) => boolean, timeout = 10_000): Promise<ChartState> {
  const deadline = Date.now() + timeout;
  const locator = chart(page, key);
  let last: ChartState | null = null;
  for (;;) {
    if ((await locator.count()) > 0) {
      last = await chartState(locator);
      if (ready(last)) {
        return last;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`chart ${key} never got there; last state ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the chart has drawn data (not just its empty first frame). */
export function waitForDrawn(page: Page, key: string, timeout = 10_000): Promise<ChartState> {
  return waitForChart(page, key, (state) => state.points > 0, timeout);
}

/**
 * Counts the canvas pixels painted close to each colour (#rrggbb): proof that the lines were
 * drawn, not only that the data attributes were set.
 */
export function paintedPixels(locator: Locator, colors: string[]): Promise<number[]> {
  return locator.evaluate((element: unknown, hexes: string[]) => {
    const canvas = (element as PageElement).querySelector('canvas');
    const context = canvas?.getContext('2d');
    if (!canvas || !context) {
      return hexes.map(() => 0);
    }
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const targets = hexes.map((hex) => {
      const value = Number.parseInt(hex.slice(1), 16);
      return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
    });
    const counts = hexes.map(() => 0);
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] < 200) {
        continue;
      }
      targets.forEach(([r, g, b], index) => {
        if (Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g) + Math.abs(pixels[i + 2] - b) < 60) {
          counts[index]++;
        }
      });
    }
    return counts;
  }, colors);
}

/** A small solid-colour PNG, made here so the test needs no binary fixture. */
export function solidPng(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) {
    row.set([r, g, b], 1 + x * 3);
  }
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
