/** What a panel exports: the series it draws as CSV rows, and its chart as a PNG. */
import type { SeriesSet } from '@/lib/series/series-set';
import { aggValue } from '@/lib/series/agg';
import { toCsv } from './csv';

export function seriesCsv(
  set: SeriesSet,
  entities: readonly string[],
  labelOf: (entity: string) => string,
  fromMs: number,
  toMs: number,
): string {
  const rows: unknown[][] = [];
  const bucketed = set.widthMs !== null;
  for (const e of entities) {
    for (const m of set.metrics) {
      const c = set.chart(e, m, fromMs, toMs);
      for (let i = 0; i < c.x.length; i++) {
        const ms = c.x[i]! * 1000;
        // a bucket is drawn at its middle; its row names its start
        const at = bucketed && ms < set.boundaryMs + set.widthMs! / 2 ? ms - set.widthMs! / 2 : ms;
        rows.push([new Date(at).toISOString(), e, labelOf(e), m, c.y[i]]);
      }
    }
  }
  rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  return toCsv(
    ['time', 'entity_id', 'entity', 'metric', bucketed ? `${set.aggregate}_per_bucket` : 'value'],
    rows,
  );
}

export function summaryCsv(
  set: SeriesSet,
  entities: readonly string[],
  labelOf: (entity: string) => string,
  fromMs: number,
  toMs: number,
): string {
  const rows: unknown[][] = [];
  for (const e of entities) {
    for (const m of set.metrics) {
      const s = set.summary(e, m, fromMs, toMs);
      rows.push([
        e,
        labelOf(e),
        m,
        aggValue(s, set.aggregate),
        s?.count ?? 0,
        s ? new Date(s.lastTs).toISOString() : '',
      ]);
    }
  }
  return toCsv(['entity_id', 'entity', 'metric', set.aggregate, 'points', 'last_point'], rows);
}

/** The chart canvases of a panel composed on one white (or dark) card with its title. */
export async function panelPng(root: HTMLElement, title: string, dark: boolean): Promise<Blob> {
  const canvases = [...root.querySelectorAll('canvas')];
  if (canvases.length === 0) throw new Error('this panel draws no chart');
  const ratio = window.devicePixelRatio || 1;
  const pad = 16 * ratio;
  const titleH = 28 * ratio;
  const width = Math.max(...canvases.map((c) => c.width)) + 2 * pad;
  const height = canvases.reduce((h, c) => h + c.height, 0) + titleH + 2 * pad;
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = dark ? '#0f172a' : '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = dark ? '#e2e8f0' : '#0f172a';
  ctx.font = `600 ${16 * ratio}px system-ui, sans-serif`;
  ctx.fillText(title, pad, pad + 16 * ratio);
  let y = pad + titleH;
  for (const c of canvases) {
    ctx.drawImage(c, pad, y);
    y += c.height;
  }
  return new Promise((resolve, reject) =>
    out.toBlob(
      (b) => (b ? resolve(b) : reject(new Error('could not encode the PNG'))),
      'image/png',
    ),
  );
}
