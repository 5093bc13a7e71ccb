/**
 * bench/web: the dashboard's chart path under load, in headless Debian Chromium. Six panels of
 * 3,600 points each gain a point every second for 60 s (the app's bench page, synthetic in-page
 * data through the same SeriesStore and TimeChart as a live stream). Reported: long tasks over
 * 50 ms (target none), frame rate, and JS heap growth (target flat), as JSON on stdout and in
 * bench/results/web-<time>.json.
 *
 *   npx tsx bench/web/run.ts            (BENCH_SECONDS, BENCH_PANELS, BENCH_POINTS to change)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@streamsync/stack/ports';
import { waitForHealth } from '@streamsync/stack/services';
import { buildIsFresh, buildWeb } from '@streamsync/stack/web-build';
import { CHROMIUM, launchChromium } from '@streamsync/stack/chromium';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const PANELS = Number(process.env.BENCH_PANELS ?? 6);
const POINTS = Number(process.env.BENCH_POINTS ?? 3600);
const log = (m: string) => process.stderr.write(`[bench/web] ${m}\n`);

interface PageStats {
  longTasks: number[];
  frames: number[];
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  let buildMs: number | null = null;
  if (!buildIsFresh()) {
    log('building the web app');
    buildMs = await buildWeb((l) => process.stderr.write(l));
  }
  const port = await freePort();
  const server = spawn(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next'),
      'start',
      '--hostname',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    {
      cwd: path.join(ROOT, 'web'),
      env: {
        ...process.env,
        NEXT_TELEMETRY_DISABLED: '1',
        STREAMSYNC_BENCH_PAGES: '1',
        STREAMSYNC_JWT_KEY: randomBytes(32).toString('hex'),
        GRAPHQL_URL: 'http://127.0.0.1:9/v1/graphql', // the bench page never calls it
      },
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: true,
    },
  );
  const exited = new Promise((r) => server.once('exit', r));
  const browser = await launchChromium();
  try {
    await waitForHealth(`http://127.0.0.1:${port}/api/healthz`, 60_000, exited);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    // in-page probes (as source text: this file is compiled without the DOM library)
    await page.addInitScript(`
      window.__stats = { longTasks: [], frames: [] };
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__stats.longTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: true });
      const frame = (t) => { window.__stats.frames.push(t); requestAnimationFrame(frame); };
      requestAnimationFrame(frame);
    `);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const heapMb = async (gc: boolean) => {
      if (gc) await cdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await cdp.send('Performance.getMetrics');
      return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 1048576;
    };

    const t0 = Date.now();
    await page.goto(`http://127.0.0.1:${port}/bench/charts?panels=${PANELS}&points=${POINTS}`);
    await page.waitForFunction('window.__benchReady === true', null, { timeout: 60_000 });
    const loadMs = Date.now() - t0;
    // warm up, then measure from a clean slate
    await page.waitForTimeout(3000);
    await page.evaluate('window.__stats.longTasks.length = 0; window.__stats.frames.length = 0');
    const startHeap = await heapMb(true);
    const updates0 = await page.evaluate<number>('window.__benchUpdates ?? 0');
    const samples: Array<{ s: number; heapMb: number }> = [{ s: 0, heapMb: round(startHeap) }];
    for (let s = 5; s <= SECONDS; s += 5) {
      await page.waitForTimeout(5000);
      samples.push({ s, heapMb: round(await heapMb(false)) });
    }
    const stats = await page.evaluate<PageStats>('window.__stats');
    const updates = (await page.evaluate<number>('window.__benchUpdates ?? 0')) - updates0;
    const endHeap = await heapMb(true);

    const frames = stats.frames;
    const span = frames.length > 1 ? (frames[frames.length - 1]! - frames[0]!) / 1000 : 0;
    const perSecond = new Map<number, number>();
    for (const f of frames)
      perSecond.set(
        Math.floor((f - frames[0]!) / 1000),
        (perSecond.get(Math.floor((f - frames[0]!) / 1000)) ?? 0) + 1,
      );
    const fullSeconds = [...perSecond.entries()]
      .filter(([s]) => s < Math.floor(span))
      .map(([, n]) => n);
    const over50 = stats.longTasks.filter((d) => d > 50);
    const result = {
      bench: 'web',
      time: new Date().toISOString(),
      // the machine is shared: long tasks and frame rate are wall-clock, so the load matters
      machine: {
        cpus: os.cpus().length,
        memoryGb: round(os.totalmem() / 2 ** 30),
        loadAverage1m: { before: round(loadBefore), after: round(os.loadavg()[0]!) },
      },
      chromium: await browser.version(),
      chromiumPath: CHROMIUM,
      config: { panels: PANELS, pointsPerPanel: POINTS, updateEveryMs: 1000, durationS: SECONDS },
      build: buildMs === null ? { reused: true } : { seconds: round(buildMs / 1000) },
      pageLoadMs: loadMs,
      updatesApplied: updates,
      longTasks: {
        count: stats.longTasks.length,
        over50ms: over50.length,
        maxMs: round(Math.max(0, ...stats.longTasks)),
        totalMs: round(stats.longTasks.reduce((a, b) => a + b, 0)),
        target: 'none over 50 ms',
      },
      frameRate: {
        averageFps: round(span > 0 ? (frames.length - 1) / span : 0),
        worstSecondFps: fullSeconds.length ? Math.min(...fullSeconds) : 0,
      },
      memory: {
        startHeapMb: round(startHeap),
        endHeapMb: round(endHeap),
        growthMb: round(endHeap - startHeap),
        samples,
        target: 'flat (growth near 0 after GC)',
      },
      pass: over50.length === 0 && endHeap - startHeap < 5,
    };
    const json = JSON.stringify(result, null, 2);
    process.stdout.write(`${json}\n`);
    const dir = path.join(ROOT, 'bench', 'results');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(
      path.join(dir, `web-${result.time.replace(/[:.]/g, '-')}.json`),
      `${json}\n`,
    );
  } finally {
    await browser.close().catch(() => {});
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
