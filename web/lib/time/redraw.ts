/**
 * How often a chart redraws. A redraw is the main thread's largest steady cost on a dashboard (the
 * whole canvas: series, axes, labels), so a chart redraws for new data at most once a second —
 * series move at about 1 Hz, and a stream delivers each series' point apart — and, while it
 * follows the clock, only when what it shows moves by a pixel: a redraw that moves nothing by a
 * pixel draws the same picture. A new range or selection is drawn at once, whatever this says.
 */

/** Least time between two redraws of a chart for new data alone. */
export const MIN_REDRAW_MS = 1000;

/**
 * The time between two redraws of a chart whose x axis spans `spanMs` over `widthPx` pixels, for
 * new data or to slide the axis: the time one pixel spans, at least MIN_REDRAW_MS (15 minutes
 * across 500 pixels move a pixel every 1.8 s, an hour every 7.2 s).
 */
export function redrawEveryMs(spanMs: number, widthPx: number): number {
  return Math.max(MIN_REDRAW_MS, widthPx > 0 && spanMs > 0 ? spanMs / widthPx : 0);
}
