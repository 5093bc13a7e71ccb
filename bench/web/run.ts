/**
 * bench/web: the real dashboard under real load, in headless Debian Chromium. The whole stack
 * (Postgres, Kafka, engine, worker, the production web server) on free ports in a temporary
 * folder; the demo producer's live code feeds `sensor_readings` at BENCH_WEB_RATE rows/s (10,000)
 * from as many sensors, so every series moves at 1 Hz; a 12-panel dashboard (lines, areas, bars,
 * stats, a table, a heatmap; 3 sensors a chart) opens on the last 15 minutes, following now.
 *
 * Measured, each beside its goal: first load on the production server (navigation to every panel
 * drawn with data), long tasks over 50 ms and the JS heap over BENCH_SECONDS (600), the latency of
 * a drag-to-zoom and of a range change (input to every chart redrawn on the new range with what
 * the server holds for it, every panel past loading), and what the pipeline kept up with (a worker
 * that falls behind leaves the newest minutes empty: the feed's rate and the lag are reported). JSON on stdout (the last line) and in bench/results/.
 *
 *   npm run bench:web        (BENCH_SECONDS, BENCH_WEB_RATE, BENCH_WEB_WARMUP_S to change;
 *                             BENCH_WEB_PROFILE_S=30 adds where the main thread's time went:
 *                             a CPU profile's self time by function, bundle chunk and line)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { query, sql } from '@streamsync/database';
import type { Page } from 'playwright-core';
import { startSensorFeed } from '../sensor-feed.ts';
import { cliOptions } from '../cli.ts';
import { startStack, type Stack } from '@streamsync/stack';
import { freePorts } from '@streamsync/stack/ports';
import { buildIsFresh, buildWeb } from '@streamsync/stack/web-build';
import { CHROMIUM, launchChromium } from '@streamsync/stack/chromium';
import { saveResult } from '../results.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 600);
const RATE = Number(process.env.BENCH_WEB_RATE ?? 10_000);
/** Feed before the page opens, so the panels' range holds data (s). */
const WARMUP_S = Number(process.env.BENCH_WEB_WARMUP_S ?? 60);
/** Profile the page's main thread over the first N seconds of the steady state (0: not). */
const PROFILE_S = Number(process.env.BENCH_WEB_PROFILE_S ?? 0);
const GOALS = { firstLoadMs: 1000, longTasksOver50ms: 0, zoomMs: 200, rangeChangeMs: 200 };
// settings are environment variables (see the header); --help prints them
cliOptions(process.argv.slice(2), import.meta.url, []);
const log = (m: string) => process.stderr.write(`[bench/web] ${m}\n`);
const round = (n: number) => Math.round(n * 100) / 100;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

/** The 12 panels: what a user would put on a plant-floor screen. */
function panels(ids: string[]): Array<Record<string, unknown>> {
  const three = (k: number) => ids.slice(3 * k, 3 * k + 3).map(Number);
  const p = (
    title: string,
    metric: string,
    visualization: string,
    k: number,
    width = 4,
    aggregate = 'avg',
  ) => ({
    title,
    stream: 'sensor_readings',
    metrics: [metric],
    entities: { mode: 'ids', ids: three(k) },
    bucket: 'auto',
    aggregate,
    visualization,
    width,
  });
  return [
    p('Temperature A', 'temperature', 'line', 0),
    p('Temperature B', 'temperature', 'line', 1),
    p('Temperature C', 'temperature', 'line', 2),
    p('Humidity A', 'humidity', 'area', 3),
    p('Humidity B', 'humidity', 'area', 4),
    p('Pressure A', 'pressure', 'line', 5),
    p('Pressure B', 'pressure', 'bar', 6, 4, 'max'),
    p('Battery', 'battery', 'line', 7),
    p('Now: temperature', 'temperature', 'stat', 8, 4, 'last'),
    p('Lowest battery', 'battery', 'stat', 9, 4, 'min'),
    {
      ...p('Sensors now', 'temperature', 'table', 10, 6, 'last'),
      metrics: ['temperature', 'humidity'],
    },
    {
      ...p('Temperature across sensors', 'temperature', 'heatmap', 11, 6),
      entities: { mode: 'ids', ids: ids.slice(0, 30).map(Number) },
    },
  ].map((x, i) => ({ ...x, position: i }));
}

/** In the page: every panel has drawn data for the range it shows. */
const ALL_DRAWN = `(() => {
  const bodies = [...document.querySelectorAll('[data-testid=panel-body]')];
  if (bodies.length !== 12 || bodies.some((b) => b.getAttribute('data-status') !== 'live')) return false;
  const charts = Object.values(window.__streamsyncCharts ?? {});
  return charts.length === 8 && charts.every((c) => { const d = c(); return d.series.length > 0 && d.series.every((s) => s.y.some((v) => v !== null)); });
})()`;

async function waitIn(page: Page, expr: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  await page.waitForFunction(expr, null, { timeout: timeoutMs, polling: 10 });
  return Date.now() - t0;
}

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }>;
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * Self time of a CPU profile by function (name, bundle file, line:column): property names survive
 * minification, so the app's methods and React's and uPlot's are recognisable in a production build.
 */
function selfTimes(p: CpuProfile, seconds: number) {
  const byNode = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const ms = new Map<string, number>();
  let total = 0;
  (p.samples ?? []).forEach((id, i) => {
    const f = byNode.get(id)!;
    const dt = (p.timeDeltas?.[i] ?? 0) / 1000;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    ms.set(key, (ms.get(key) ?? 0) + dt);
    total += dt;
  });
  const idle = ['(idle)', '(program)', '(garbage collector)'];
  const busy = [...ms].filter(([k]) => !idle.some((x) => k.startsWith(x)));
  // the long tasks: stretches of samples without idle over 50 ms, each with where its time went
  const stretches: Array<{ ms: number; top: Array<{ fn: string; ms: number }> }> = [];
  let run: { ms: number; by: Map<string, number> } | undefined;
  const close = () => {
    if (run && run.ms > 50)
      stretches.push({
        ms: round(run.ms),
        top: [...run.by]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 6)
          .map(([fn, v]) => ({ fn, ms: round(v) })),
      });
    run = undefined;
  };
  (p.samples ?? []).forEach((id, i) => {
    const f = byNode.get(id)!;
    const dt = (p.timeDeltas?.[i] ?? 0) / 1000;
    if (f.functionName === '(idle)') return close();
    run ??= { ms: 0, by: new Map() };
    run.ms += dt;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    run.by.set(key, (run.by.get(key) ?? 0) + dt);
  });
  close();
  return {
    seconds,
    busyMsPerS: round(busy.reduce((a, [, v]) => a + v, 0) / seconds),
    gcMsPerS: round(
      [...ms].filter(([k]) => k.startsWith('(garbage')).reduce((a, [, v]) => a + v, 0) / seconds,
    ),
    totalMs: round(total),
    longTasks: stretches.sort((a, b) => b.ms - a.ms).slice(0, 10),
    top: busy
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([fn, v]) => ({ fn, ms: round(v) })),
  };
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  let buildS: number | null = null;
  if (!buildIsFresh()) {
    log('building the web app');
    buildS = (await buildWeb((l) => process.stderr.write(l))) / 1000;
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-bench-web-'));
  // the embedded Postgres runs as its own user, which must reach its data folder
  await fs.chmod(dataDir, 0o755);
  const [engine, worker, producerPort, web, pgPort] = await freePorts(5);
  let stack: Stack | undefined;
  let stopFeed: (() => Promise<void>) | undefined;
  const browser = await launchChromium();
  try {
    log(`starting the stack in ${dataDir}`);
    stack = await startStack({
      dataDir,
      services: ['engine', 'worker', 'web'],
      env: {
        ...process.env,
        STREAMSYNC_DATA_DIR: dataDir,
        STREAMSYNC_KAFKA_PORT: '0',
        STREAMSYNC_PG_PORT: String(pgPort),
        HASURA_GRAPHQL_SERVER_PORT: String(engine),
        ETL_HTTP_PORT: String(worker),
        PRODUCER_HTTP_PORT: String(producerPort),
        WEB_PORT: String(web),
        LOG_LEVEL: 'warn',
      },
      log,
    });
    const db = new pg.Pool({ connectionString: stack.postgresUrl, max: 2 });
    // the sensors of the panels, named by the seeds; the worker creates the others as they come
    const { rows: sensors } = await query<{ id: string }>(
      db,
      sql`SELECT id::text FROM public.entities WHERE kind = 'sensor' ORDER BY key LIMIT 36`,
    );
    const ids = sensors.map((s) => s.id);
    const { rows: d } = await query<{ id: string }>(
      db,
      sql`INSERT INTO public.dashboards (owner_id, title, shared, time_from, time_to)
          VALUES ('bench', 'Bench: 12 panels', true, 'now-15m', 'now') RETURNING id`,
    );
    const dashboardId = d[0]!.id;
    for (const p of panels(ids)) {
      await query(
        db,
        sql`INSERT INTO public.panels (dashboard_id, position, title, stream, metrics, entities,
                                       bucket, aggregate, visualization, width)
            VALUES (${sql.value(dashboardId)}::uuid, ${sql.value(p.position)}, ${sql.value(p.title)},
                    ${sql.value(p.stream)}, ${sql.value(JSON.stringify(p.metrics))}::jsonb,
                    ${sql.value(JSON.stringify(p.entities))}::jsonb, ${sql.value(p.bucket)},
                    ${sql.value(p.aggregate)}, ${sql.value(p.visualization)}, ${sql.value(p.width)})`,
      );
    }

    // the feed: RATE sensors, each once a second
    const feed = await startSensorFeed(stack.kafkaBrokers, {
      clientId: 'bench-web',
      rate: RATE,
      seed: 7,
    });
    const metrics = feed.metrics;
    stopFeed = () => feed.stop();
    log(
      `feeding ${RATE} rows/s; warming up ${WARMUP_S} s (the panels' 15 minutes fill as they go)`,
    );
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));

    const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
    await page.addInitScript(`
      window.__stats = { longTasks: [], lastInput: 0 };
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__stats.longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
      addEventListener('mouseup', () => { window.__stats.lastInput = Date.now(); }, true);
      addEventListener('change', () => { window.__stats.lastInput = Date.now(); }, true);
    `);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    // the renderer's CPU time (s): what the page cost, less sensitive to a loaded machine than
    // the wall clock (a descheduled main thread is not busy)
    const cpu = async () => {
      const { metrics: m } = await cdp.send('Performance.getMetrics');
      const v = (name: string) => m.find((x) => x.name === name)?.value ?? NaN;
      return { thread: v('ThreadTime'), process: v('ProcessTime') };
    };
    const heapMb = async (gc: boolean) => {
      if (gc) await cdp.send('HeapProfiler.collectGarbage');
      const { metrics: m } = await cdp.send('Performance.getMetrics');
      return (m.find((x) => x.name === 'JSHeapUsedSize')?.value ?? 0) / 1048576;
    };

    // first load: navigation to every panel drawn with its data
    const lagNow = async () => {
      const { rows } = await query<{ lag: string }>(
        db,
        sql`SELECT coalesce(sum(high_watermark - next_offset), 0) AS lag
              FROM etl.consumer_offsets WHERE topic = 'sensor-readings'`,
      );
      return Number(rows[0]!.lag);
    };
    log(`worker lag before the page opens: ${await lagNow()} messages`);
    const url = `http://127.0.0.1:${web}/d/${dashboardId}?from=now-15m&to=now`;
    const cpu0 = await cpu();
    const t0 = Date.now();
    const nav = await page.goto(url, { waitUntil: 'commit' });
    let firstLoadMs: number | null = null;
    let cpuFirst: Awaited<ReturnType<typeof cpu>> | undefined;
    try {
      await waitIn(page, ALL_DRAWN, 120_000);
      firstLoadMs = Date.now() - t0;
      cpuFirst = await cpu();
    } catch {
      const state = await page.evaluate<unknown>(`(() => ({
        bodies: [...document.querySelectorAll('[data-testid=panel-body]')].map((b) => b.getAttribute('data-status')),
        charts: Object.entries(window.__streamsyncCharts ?? {}).map(([k, c]) => [k, c().series.map((s) => s.y.filter((v) => v !== null).length)]),
        alerts: [...document.querySelectorAll('[role=alert]')].map((a) => a.textContent),
      }))()`);
      log(`the panels did not all draw within 120 s: ${JSON.stringify(state)}`);
    }
    // where the first load went, in the page's own clock (ms since navigation): the server's
    // answer, the scripts, the token, the panels' first reads (the GraphQL requests sent within
    // 500 ms of the first: one batched wave, not the edge re-reads of the panels already live)
    const timing = await page.evaluate<{
      ttfb: number;
      htmlEnd: number;
      dcl: number;
      load: number;
      scriptsEnd: number;
      sessionEnd: number | null;
      firstReads: { count: number; start: number | null; end: number | null };
    }>(`(() => {
      const n = performance.getEntriesByType('navigation')[0];
      const res = performance.getEntriesByType('resource');
      const scripts = res.filter((r) => r.initiatorType === 'script');
      const session = res.find((r) => r.name.endsWith('/api/session'));
      const graphql = res.filter((r) => r.initiatorType === 'fetch' && /\\/v1\\/graphql/.test(r.name));
      const firstSent = Math.min(...graphql.map((r) => r.startTime));
      const reads = graphql.filter((r) => r.startTime < firstSent + 500);
      return {
        ttfb: n.responseStart, htmlEnd: n.responseEnd, dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd,
        scriptsEnd: Math.max(0, ...scripts.map((s) => s.responseEnd)),
        sessionEnd: session ? session.responseEnd : null,
        firstReads: reads.length
          ? { count: reads.length, start: Math.min(...reads.map((r) => r.startTime)), end: Math.max(...reads.map((r) => r.responseEnd)) }
          : { count: 0, start: null, end: null },
      };
    })()`);
    log(`first load parts (ms since navigation): ${JSON.stringify(timing)}`);
    log(`first load ${firstLoadMs} ms (status ${nav?.status()}); measuring for ${SECONDS} s`);

    // steady state
    await page.waitForTimeout(5000);
    await page.evaluate('window.__stats.longTasks.length = 0');
    const startHeap = await heapMb(true);
    const samples: Array<{ s: number; heapMb: number }> = [{ s: 0, heapMb: round(startHeap) }];
    const lag: Array<{ s: number; lag: number }> = [];
    const sent0 = (await metrics.sent.get()).values.reduce((a, v) => a + v.value, 0);
    const tSteady = Date.now();
    const cpuSteady0 = await cpu();
    if (PROFILE_S > 0) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    let profile: ReturnType<typeof selfTimes> | undefined;
    for (let s = 10; s <= SECONDS; s += 10) {
      await page.waitForTimeout(10_000);
      if (PROFILE_S > 0 && !profile && s >= PROFILE_S) {
        profile = selfTimes((await cdp.send('Profiler.stop')).profile, s);
        log(`where the main thread went: ${JSON.stringify(profile.top.slice(0, 12))}`);
      }
      samples.push({ s, heapMb: round(await heapMb(false)) });
      lag.push({ s, lag: await lagNow() });
      if (s % 60 === 0)
        log(
          `${s} s: heap ${samples[samples.length - 1]!.heapMb} MB, worker lag ${lag[lag.length - 1]!.lag} messages`,
        );
    }
    const sentRate =
      ((await metrics.sent.get()).values.reduce((a, v) => a + v.value, 0) - sent0) /
      ((Date.now() - tSteady) / 1000);
    const cpuSteady1 = await cpu();
    const steadyS = (Date.now() - tSteady) / 1000;
    const longTasks = await page.evaluate<number[]>('window.__stats.longTasks');
    const endHeap = await heapMb(true);

    // zoom: drag across the first chart; answered when every chart shows the new range with data
    const zooms: number[] = [];
    const ranges: number[] = [];
    const firstChart = page.locator('[data-testid^="chart-"] .u-over').first();
    const answered = (fromMs: number) => `(() => {
      const charts = Object.values(window.__streamsyncCharts ?? {});
      const bodies = [...document.querySelectorAll('[data-testid=panel-body]')];
      return charts.length === 8 && bodies.every((b) => b.getAttribute('data-status') !== 'loading') && charts.every((c) => { const d = c(); return Math.abs(d.min * 1000 - ${fromMs}) < 2000 && d.drawnAt >= window.__stats.lastInput; });
    })()`;
    const zoomErrors: string[] = [];
    for (let i = 0; i < 5; i++) {
      try {
        const box = (await firstChart.boundingBox())!;
        await page.mouse.move(box.x + box.width * 0.55, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width * 0.85, box.y + box.height / 2, { steps: 5 });
        await page.mouse.up();
        await page.waitForURL(/from=\d{13}/);
        const from = Number(new URL(page.url()).searchParams.get('from'));
        await page.waitForFunction(answered(from), null, { timeout: 30_000, polling: 5 });
        zooms.push(
          await page.evaluate<number>(
            'Math.max(...Object.values(window.__streamsyncCharts).map((c) => c().drawnAt)) - window.__stats.lastInput',
          ),
        );
        // and back to a preset range: a range change
        await page.getByTestId('time-preset').selectOption(i % 2 ? 'now-15m' : 'now-1h');
        const span = i % 2 ? 15 * 60_000 : 3_600_000;
        await page.waitForFunction(
          `(() => { const c = Object.values(window.__streamsyncCharts ?? {}); const b = [...document.querySelectorAll('[data-testid=panel-body]')]; return c.length === 8 && b.every((x) => x.getAttribute('data-status') !== 'loading') && c.every((f) => { const d = f(); return Math.abs((d.max - d.min) * 1000 - ${span}) < 2000 && d.drawnAt >= window.__stats.lastInput; }); })()`,
          null,
          { timeout: 30_000, polling: 5 },
        );
        ranges.push(
          await page.evaluate<number>(
            'Math.max(...Object.values(window.__streamsyncCharts).map((c) => c().drawnAt)) - window.__stats.lastInput',
          ),
        );
      } catch (err) {
        zoomErrors.push((err as Error).message.split('\n')[0]!);
      }
    }
    const over50 = longTasks.filter((t) => t > 50);
    const half = samples.filter((x) => x.s >= SECONDS / 2).map((x) => x.heapMb);
    const result = {
      bench: 'web',
      time: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        memoryGb: round(os.totalmem() / 2 ** 30),
        loadAverage1m: { before: round(loadBefore), after: round(os.loadavg()[0]!) },
      },
      chromium: await browser.version(),
      chromiumPath: CHROMIUM,
      config: {
        panels: 12,
        charts: 8,
        seriesPerChart: 3,
        range: 'now-15m … now',
        feedRowsPerS: RATE,
        seriesHz: 1,
        durationS: SECONDS,
      },
      build: buildS === null ? { reused: true } : { seconds: round(buildS) },
      firstLoad: {
        ms: firstLoadMs,
        drawnWithin120s: firstLoadMs !== null,
        goalMs: GOALS.firstLoadMs,
        ttfbMs: round(timing.ttfb),
        domContentLoadedMs: round(timing.dcl),
        // the parts (ms since navigation): the HTML's last byte, the scripts loaded, the token,
        // the panels' first reads (how many requests, first sent, last answered)
        htmlEndMs: round(timing.htmlEnd),
        scriptsEndMs: round(timing.scriptsEnd),
        sessionEndMs: timing.sessionEnd === null ? null : round(timing.sessionEnd),
        firstReads: {
          requests: timing.firstReads.count,
          startMs: timing.firstReads.start === null ? null : round(timing.firstReads.start),
          endMs: timing.firstReads.end === null ? null : round(timing.firstReads.end),
        },
        // CPU time (ms) to every panel drawn: the page's main thread, the renderer process
        cpuMs: cpuFirst
          ? {
              mainThread: round((cpuFirst.thread - cpu0.thread) * 1000),
              renderer: round((cpuFirst.process - cpu0.process) * 1000),
            }
          : null,
        pass: firstLoadMs !== null && firstLoadMs < GOALS.firstLoadMs,
      },
      // CPU time of the steady state, per second of it (ms/s)
      steadyCpuMsPerS: {
        mainThread: round(((cpuSteady1.thread - cpuSteady0.thread) * 1000) / steadyS),
        renderer: round(((cpuSteady1.process - cpuSteady0.process) * 1000) / steadyS),
      },
      longTasks: {
        over50ms: over50.length,
        goal: GOALS.longTasksOver50ms,
        count: longTasks.length,
        maxMs: round(Math.max(0, ...longTasks)),
        pass: over50.length === 0,
      },
      memory: {
        startHeapMb: round(startHeap),
        endHeapMb: round(endHeap),
        growthMb: round(endHeap - startHeap),
        secondHalfRangeMb: round(Math.max(...half) - Math.min(...half)),
        samples,
        goal: 'flat over the run (growth after GC near 0)',
        pass: endHeap - startHeap < 5,
      },
      zoom: {
        errors: zoomErrors,
        medianMs: median(zooms),
        maxMs: zooms.length ? Math.max(...zooms) : null,
        samples: zooms,
        goalMs: GOALS.zoomMs,
        pass: zooms.length === 5 && Math.max(...zooms) <= GOALS.zoomMs,
      },
      rangeChange: {
        medianMs: median(ranges),
        maxMs: ranges.length ? Math.max(...ranges) : null,
        samples: ranges,
        goalMs: GOALS.rangeChangeMs,
        pass: ranges.length === 5 && Math.max(...ranges) <= GOALS.rangeChangeMs,
      },
      ...(profile ? { profile } : {}),
      feed: {
        rowsPerS: round(sentRate),
        goal: RATE,
        workerLagEnd: lag[lag.length - 1]?.lag ?? null,
        workerLagMax: Math.max(0, ...lag.map((l) => l.lag)),
      },
    };
    saveResult('web', result, { at: result.time });
    await db.end();
  } finally {
    await browser.close().catch(() => {});
    await stopFeed?.().catch(() => {});
    await stack?.stop().catch(() => {});
    await fs.rm(dataDir, { recursive: true, force: true }).catch(() => {});
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
