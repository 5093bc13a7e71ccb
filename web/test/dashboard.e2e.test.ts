/**
 * The dashboard in a real Chromium against the real stack (Postgres, Kafka, engine, worker,
 * producer, web): the run's Postgres (a private database) and Kafka broker, the services on free
 * ports in a temporary folder:
 * - a value produced to Kafka appears on the chart,
 * - a stream declared at run time appears without a rebuild,
 * - after the engine restarts the chart resumes without gaps or duplicates,
 * - the token is renewed before it expires without blanking the chart,
 * - the admin secret and the server's file paths appear in no bundle and no response the browser
 *   receives; no page fails hydration; unknown pages answer 404 and the favicon is served,
 * and a screenshot of each page is saved under .data/screenshots/ (git-ignored) for review.
 * Dashboards, alerts and exports: dashboards.e2e.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, waitFor, type TestDatabase } from '@streamsync/testing';
import { freePorts } from '@streamsync/stack/ports';
import { startStack, type Stack } from '@streamsync/stack';
import { launchChromium } from '@streamsync/stack/chromium';
import { checkAccessibility } from './accessibility.ts';

const WEB = path.resolve(import.meta.dirname, '..');

const SHOTS = path.resolve(WEB, '..', '.data', 'screenshots');
const TOKEN_TTL_S = 20;
const USER_HEADER = 'x-e2e-user';

let stack: Stack;
let dataDir: string;
let browser: Browser;
let context: BrowserContext;
let db: pg.Pool;
let database: TestDatabase | undefined;
let producer: Producer;
let webUrl: string;
/** Every response body the browser received, for the admin-secret check. */
const received: Array<{ url: string; body: string }> = [];
/** Every error the pages logged (hydration failures among them). */
const consoleErrors: string[] = [];

function log(line: string): void {
  if (process.env.STREAMSYNC_TEST_VERBOSE) console.log(line);
}

/** A sensor reading as the demo producer sends it (°F, mV); the worker stores °C and V. */
async function produceReading(device: string, at: Date, celsius: number): Promise<void> {
  await producer.send({
    topic: 'sensor-readings',
    messages: [
      {
        key: device,
        value: JSON.stringify({
          device_id: device,
          time: at.toISOString(),
          temp_f: celsius * 1.8 + 32,
          humidity: 40,
          pressure_hpa: 1000,
          battery_mv: 3700,
        }),
      },
    ],
  });
}

async function entityId(kind: string, key: string): Promise<string> {
  return waitFor(`entity ${kind}/${key}`, async () => {
    const { rows } = await db.query(
      'SELECT id::text AS id FROM public.entities WHERE kind = $1 AND key = $2',
      [kind, key],
    );
    return rows[0]?.id as string | undefined;
  });
}

async function openPage(url: string): Promise<Page> {
  const page = await context.newPage();
  page.on('response', (res) => {
    void res
      .text()
      .then((body) => received.push({ url: res.url(), body }))
      .catch(() => {});
  });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('websocket', (ws) =>
    ws.on('framereceived', (f) => received.push({ url: ws.url(), body: String(f.payload) })),
  );
  await page.goto(`${webUrl}${url}`, { waitUntil: 'domcontentloaded' });
  return page;
}

/** What the chart of a panel draws: its first series (the stream page has a panel per metric). */
async function chartData(
  page: Page,
  panel: string,
): Promise<{ x: number[]; y: Array<number | null> }> {
  return page.evaluate(
    (id) => window.__streamsyncCharts?.[id]?.().series[0] ?? { x: [], y: [] },
    panel,
  );
}

async function screenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-web-e2e-'));
  // the run's Postgres (a private, migrated and seeded database) and Kafka broker; the services
  // of the stack on free ports
  database = await createTestDatabase({ prefix: 'web_e2e' });
  const [engine, worker, producerPort, web] = await freePorts(4);
  stack = await startStack({
    dataDir,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      STREAMSYNC_DATA_DIR: dataDir,
      HASURA_GRAPHQL_SERVER_PORT: String(engine),
      ETL_HTTP_PORT: String(worker),
      // its own consumer group: other suites run workers on the same broker
      ETL_GROUP_ID: `web-e2e-${randomBytes(4).toString('hex')}`,
      PRODUCER_HTTP_PORT: String(producerPort),
      WEB_PORT: String(web),
      HASURA_GRAPHQL_ADMIN_SECRET: '',
      STREAMSYNC_JWT_KEY: '',
      STREAMSYNC_TOKEN_TTL_S: String(TOKEN_TTL_S),
      // users are named per request, as an auth proxy would (each browser context is one user)
      STREAMSYNC_WEB_USER_HEADER: USER_HEADER,
    },
    log,
  });
  webUrl = `http://127.0.0.1:${web}`;
  db = new pg.Pool({ connectionString: stack.postgresUrl, max: 2 });
  const kafka = new Kafka({
    brokers: stack.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    clientId: 'web-e2e',
  });
  producer = kafka.producer();
  await producer.connect();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await producer?.disconnect().catch(() => {});
  await db?.end().catch(() => {});
  await stack?.stop();
  await database?.drop().catch(() => {});
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('Web > Dashboard in Chromium', () => {
  it('should run against the whole stack', () => {
    expect([...stack.services.keys()].sort()).toEqual(['engine', 'producer', 'web', 'worker']);
  });

  it('should show every stream on the overview, live', async () => {
    const page = await openPage('/');
    for (const name of ['sensor_readings', 'market_trades']) {
      await page.getByTestId(`stream-card-${name}`).waitFor({ timeout: 30_000 });
    }
    await waitFor(
      'live connection',
      async () =>
        (await page.getByTestId('connection-status').getAttribute('data-status')) === 'connected',
    );
    // the demo producer feeds both streams: a rate and a last value show up
    const last = await waitFor('a last value', async () => {
      const text = await page
        .getByTestId('stream-card-sensor_readings')
        .getByTestId('stream-last-value')
        .textContent();
      return text && /\d/.test(text) ? text : undefined;
    });
    expect(last).toMatch(/\d/);
    expect(await page.getByTestId('connection-status').getAttribute('data-status')).toBe(
      'connected',
    );
    await page.close();
  });

  it('should draw a value produced to Kafka on the chart', async () => {
    const device = `sensor-e2e-${randomBytes(3).toString('hex')}`;
    await produceReading(device, new Date(), 21.5);
    const id = await entityId('sensor', device);
    const page = await openPage(
      `/streams/sensor_readings?entities=${id}&metrics=temperature,humidity&from=now-5m`,
    );
    // the chart of this one sensor draws what was produced: 21.5 °C (sent as °F)
    const first = await waitFor('the first value on the chart', async () => {
      const d = await chartData(page, 'temperature');
      return d.y.length ? d : undefined;
    });
    expect(first.y).toEqual([expect.closeTo(21.5, 6)]);
    expect(first.x).toHaveLength(1);
    // and one produced while the page is open, after it in time, by the live edge
    await produceReading(device, new Date(), 23.25);
    const both = await waitFor(
      'the new value on the chart',
      async () => {
        const d = await chartData(page, 'temperature');
        return d.y.length >= 2 ? d : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(both.y).toEqual([expect.closeTo(21.5, 6), expect.closeTo(23.25, 6)]);
    expect(both.x[1]!).toBeGreaterThan(both.x[0]!);
    await page.getByTestId('latest-rows').waitFor();
    // a long range switches to rollup buckets and still draws, joined to the live points
    await page.getByTestId('time-preset').selectOption('now-24h');
    await page.waitForURL(/from=now-24h/);
    const bucketed = await waitFor('the bucketed chart', async () => {
      const source = await page.getByTestId('panel-source').first().textContent();
      const d = await chartData(page, 'temperature');
      if (source?.includes('5m buckets') && d.y.some((v) => v !== null)) return { source, d };
      throw new Error(`${page.url()}: ${source}; ${JSON.stringify(d.y)}`);
    });
    expect(bucketed.source).toMatch(/5m buckets/);
    // both readings within one 5-minute bucket or two: the produced values are what it averages
    const drawn = bucketed.d.y.filter((v): v is number => v !== null);
    expect(drawn.length).toBeGreaterThanOrEqual(1);
    for (const v of drawn) {
      expect(v).toBeGreaterThanOrEqual(21.5 - 1e-6);
      expect(v).toBeLessThanOrEqual(23.25 + 1e-6);
    }
    await page.close();
  });

  it('should resume after the engine restarts without gaps or duplicates, and renew its token without blanking', async () => {
    const device = `sensor-e2e-${randomBytes(3).toString('hex')}`;
    const t0 = Date.now() - 60_000;
    await produceReading(device, new Date(t0), 0);
    const id = await entityId('sensor', device);
    const page = await openPage(
      `/streams/sensor_readings?entities=${id}&metrics=temperature&from=now-5m`,
    );
    await waitFor('the chart', async () => (await chartData(page, 'temperature')).x.length === 1);
    await waitFor(
      'live connection',
      async () =>
        (await page.getByTestId('connection-status').getAttribute('data-status')) === 'connected',
    );

    // one point a second apart in event time, 1..40; the engine restarts in the middle
    const counts: number[] = [];
    const watch = setInterval(
      () =>
        void chartData(page, 'temperature')
          .then((d) => counts.push(d.x.length))
          .catch(() => {}),
      200,
    );
    for (let i = 1; i <= 40; i++) {
      await produceReading(device, new Date(t0 + i * 1000), i);
      if (i === 15) {
        await stack.restart('engine');
      }
      await sleep(150);
    }
    const statuses = new Set<string>();
    const data = await waitFor(
      'all 41 points after the restart',
      async () => {
        statuses.add(
          (await page.getByTestId('connection-status').getAttribute('data-status')) ?? '',
        );
        const d = await chartData(page, 'temperature');
        return d.x.length >= 41 ? d : undefined;
      },
      { timeoutMs: 90_000 },
    );
    // exactly the produced values, in order: nothing missed, nothing doubled
    expect(data.y).toEqual(Array.from({ length: 41 }, (_, i) => expect.closeTo(i, 6)));
    expect(new Set(data.x).size).toBe(41);

    // the token lives TOKEN_TTL_S seconds: by now it was renewed at least once, the socket handed
    // over, and the chart never lost a point on the way
    await waitFor(
      'a token renewal',
      async () =>
        Number(await page.getByTestId('connection-status').getAttribute('data-renewals')) >= 1,
      { timeoutMs: (TOKEN_TTL_S + 10) * 1000 },
    );
    await produceReading(device, new Date(t0 + 41_000), 41);
    await waitFor(
      'a point after the renewal',
      async () => (await chartData(page, 'temperature')).x.length === 42,
      { timeoutMs: 30_000 },
    );
    clearInterval(watch);
    for (let i = 1; i < counts.length; i++)
      expect(counts[i]!).toBeGreaterThanOrEqual(counts[i - 1]!);
    expect(await page.getByTestId('connection-status').getAttribute('data-status')).toBe(
      'connected',
    );
    await page.close();
  });

  it('should show a stream declared at run time without a rebuild', async () => {
    const suffix = randomBytes(3).toString('hex');
    const table = `wind_e2e_${suffix}`;
    const topic = `wind-e2e-${suffix}`;
    // what a data admin does: a table (a migration), tracking and a permission (metadata), a pipeline row
    await db.query(
      `CREATE TABLE public.${table} (entity_id bigint NOT NULL, ts timestamptz NOT NULL, speed double precision, gust double precision, PRIMARY KEY (entity_id, ts)) PARTITION BY RANGE (ts)`,
    );
    await db.query(
      `SELECT timeseries.register_table('public.${table}', 'ts', '1 day', 3, '30 days')`,
    );
    const metadata = async (type: string, args: unknown) => {
      const res = await fetch(
        `http://127.0.0.1:${new URL(stack.endpoints.engine!.split(' ')[0]!).port}/v1/metadata`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-hasura-admin-secret': stack.secrets.adminSecret,
          },
          body: JSON.stringify({ type, args }),
        },
      );
      expect(res.status, await res.clone().text()).toBe(200);
    };
    await metadata('pg_track_table', {
      source: 'default',
      table: { schema: 'public', name: table },
    });
    await metadata('pg_create_select_permission', {
      source: 'default',
      table: { schema: 'public', name: table },
      role: 'viewer',
      permission: { columns: '*', filter: {}, allow_aggregations: true },
    });
    await db.query(
      `INSERT INTO etl.pipelines (name, topics, target_table, entity, mapping, time_field, time_format, key_columns, rollup_columns)
       VALUES ($1, $2, $3, '{"kind": "station", "key": "$.station"}', '{"speed": {"path": "$.speed", "type": "float8"}, "gust": {"path": "$.gust", "type": "float8"}}', '$.time', 'iso8601', ARRAY['entity_id', 'ts'], ARRAY['speed', 'gust'])`,
      [table, [topic], table],
    );
    const page = await openPage('/');
    await page.getByTestId('stream-card-sensor_readings').waitFor();
    await producer.send({
      topic,
      messages: [
        {
          value: JSON.stringify({
            station: 'e2e',
            time: new Date().toISOString(),
            speed: 7.5,
            gust: 12,
          }),
        },
      ],
    });
    // the worker picks the declaration up without a restart and loads the point
    await waitFor('the point in its table', async () => {
      const { rows } = await db.query(`SELECT speed FROM public.${table}`);
      return rows.some((r: { speed: number }) => r.speed === 7.5);
    });
    // the overview notices the new declaration by itself (live query on the pipelines)
    await page.getByTestId(`stream-card-${table}`).waitFor({ timeout: 60_000 });
    await waitFor('its last value', async () =>
      (
        await page
          .getByTestId(`stream-card-${table}`)
          .getByTestId('stream-last-value')
          .textContent()
      )?.includes('7.5'),
    );
    await page
      .getByRole('heading', { name: /wind e2e/i })
      .getByRole('link')
      .click();
    await page.waitForURL(new RegExp(`/streams/${table}`));
    await waitFor('its chart', async () => (await chartData(page, 'speed')).y.includes(7.5));
    await page.close();
  });

  it('should show pipeline health, with the refused messages filtered, paged and shown as text', async () => {
    const hostile = `<img src=x onerror="window.__pwned=1"> not json \u0000`;
    await producer.send({ topic: 'sensor-readings', messages: [{ value: hostile }] });
    await waitFor('the dead letter', async () => {
      const { rows } = await db.query(
        "SELECT 1 FROM etl.dead_letters WHERE position('onerror'::bytea IN message_value) > 0",
      );
      return rows.length > 0;
    });
    const page = await openPage('/pipelines?pipeline=sensor_readings&code=invalid_json');
    await page.getByTestId('partitions').waitFor({ timeout: 30_000 });
    // ours, not the newest: the demo producer sends broken JSON of its own all the while
    const item = page
      .getByTestId('dead-letters')
      .locator('li')
      .filter({ hasText: 'invalid_json' })
      .filter({ hasText: 'onerror' })
      .first();
    await item.getByText(/Original message/).click();
    // the message is text on the page, not markup: no image element, no script ran
    await expect.poll(() => item.getByTestId('message-text').textContent()).toContain('<img src=x');
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(
      await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    expect(await page.getByTestId('dead-letter-count').textContent()).toMatch(/[1-9]/);
    await page.close();
  });

  it("should say in words which partition is stalled, how far behind, and the worker's last error", async () => {
    // a partition the worker reported stalled (what health/stall-monitor.ts records), in a group
    // of its own so no running worker clears it
    const group = `e2e-stalled-${randomBytes(3).toString('hex')}`;
    await db.query(
      `INSERT INTO etl.consumer_offsets (consumer_group, topic, partition, next_offset,
              high_watermark, stalled_since, last_error)
       VALUES ($1, 'sensor-readings', 7, 120, 250, now() - interval '40 seconds',
               '42501: permission denied for table audit_log')`,
      [group],
    );
    try {
      const page = await openPage('/pipelines');
      const stalled = page.getByTestId('stalled-partitions');
      await stalled.waitFor({ timeout: 30_000 });
      await expect
        .poll(() => stalled.textContent())
        .toMatch(
          /sensor-readings partition 7: 130 messages behind, last advanced \d+s ago; last error: 42501: permission denied for table audit_log/,
        );
      expect(await page.getByTestId('stalled').textContent()).toMatch(
        /partitions? (is|are) stalled/,
      );
      await page.close();
    } finally {
      await db.query('DELETE FROM etl.consumer_offsets WHERE consumer_group = $1', [group]);
    }
  });

  it('should save a screenshot of each page for review', async () => {
    const shots: Array<[string, string, { width: number; height: number }, 'light' | 'dark']> = [
      ['overview', '/', { width: 1280, height: 900 }, 'light'],
      ['stream-5m', '/streams/sensor_readings?from=now-5m', { width: 1280, height: 900 }, 'light'],
      [
        'stream-24h',
        '/streams/sensor_readings?from=now-24h',
        { width: 1280, height: 900 },
        'light',
      ],
      ['dashboards', '/dashboards', { width: 1280, height: 900 }, 'light'],
      ['alerts', '/alerts', { width: 1280, height: 900 }, 'light'],
      ['pipelines', '/pipelines', { width: 1280, height: 900 }, 'light'],
      ['overview-dark', '/', { width: 1280, height: 900 }, 'dark'],
      ['stream-dark', '/streams/market_trades', { width: 1280, height: 900 }, 'dark'],
      ['overview-phone', '/', { width: 390, height: 844 }, 'light'],
      ['stream-phone-dark', '/streams/sensor_readings', { width: 390, height: 844 }, 'dark'],
      ['pipelines-phone', '/pipelines', { width: 390, height: 844 }, 'light'],
    ];
    for (const [name, url, viewport, scheme] of shots) {
      const page = await openPage(url);
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      await page.evaluate((dark) => {
        localStorage.setItem('streamsync-theme', dark ? 'dark' : 'light');
        document.documentElement.classList.toggle('dark', dark);
      }, scheme === 'dark');
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForTimeout(1500); // let the live segments fill in
      await screenshot(page, name);
      await page.close();
      expect(existsSync(path.join(SHOTS, `${name}.png`))).toBe(true);
    }
  }, 400_000);

  it('should answer 404 for what does not exist, serve a favicon, and never fail hydration', async () => {
    for (const url of [
      '/streams/no_such_stream',
      '/d/00000000-0000-4000-8000-000000000000',
      '/d/not-a-uuid',
      '/bench/charts',
      '/nope',
    ]) {
      const res = await fetch(`${webUrl}${url}`);
      expect(res.status, url).toBe(404);
    }
    const icon = await fetch(`${webUrl}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/icon/);
    expect(consoleErrors.filter((e) => /hydrat|#418|#423|#425/i.test(e))).toEqual([]);
  });

  it("should never send the admin secret or the server's file paths to the browser", async () => {
    const secret = stack.secrets.adminSecret;
    expect(secret.length).toBeGreaterThan(16);
    expect(received.length).toBeGreaterThan(10);
    for (const r of received)
      expect(r.body.includes(secret), `admin secret in ${r.url}`).toBe(false);
    // nor in any file the browser could load
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir)) {
        const p = path.join(dir, e);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(path.join(WEB, '.next', 'static'));
    if (existsSync(path.join(WEB, 'public'))) walk(path.join(WEB, 'public'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files)
      expect(readFileSync(f).includes(secret), `admin secret in ${f}`).toBe(false);
    // nor where the server keeps its files
    const root = path.resolve(WEB, '..');
    for (const r of received) expect(r.body.includes(root), `server path in ${r.url}`).toBe(false);
    for (const f of files)
      expect(readFileSync(f).includes(root), `server path in ${f}`).toBe(false);
  });
});

/** A browser context acting as `user` (what the auth proxy would say), with downloads allowed. */
async function userContext(user: string): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: 1280, height: 900 },
    extraHTTPHeaders: { [USER_HEADER]: user },
    acceptDownloads: true,
  });
}

async function openAs(ctx: BrowserContext, url: string): Promise<Page> {
  const page = await ctx.newPage();
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('response', (res) => {
    void res
      .text()
      .then((body) => received.push({ url: res.url(), body }))
      .catch(() => {});
  });
  await page.goto(`${webUrl}${url}`, { waitUntil: 'domcontentloaded' });
  return page;
}

async function panelSeries(page: Page, panelId: string) {
  return page.evaluate((id) => window.__streamsyncCharts?.[id]?.() ?? null, panelId);
}

describe('Web > Dashboards in Chromium', () => {
  let alice: BrowserContext;
  let bob: BrowserContext;
  let page: Page;
  let device: string;
  let entity: string;
  let panelId: string;

  beforeAll(async () => {
    alice = await userContext('alice');
    bob = await userContext('bob');
    device = `sensor-dash-${randomBytes(3).toString('hex')}`;
    await produceReading(device, new Date(), 20);
    entity = await entityId('sensor', device);
  });
  afterAll(async () => {
    await alice?.close().catch(() => {});
    await bob?.close().catch(() => {});
  });

  it('should build a dashboard from panels, without code', async () => {
    page = await openAs(alice, '/dashboards');
    await page.getByTestId('new-dashboard-title').fill('E2E greenhouse');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/d\/[0-9a-f-]{36}\?edit=1/);
    expect(await page.getByTestId('dashboard-access').textContent()).toMatch(/Yours/);

    // a line chart of one sensor's temperature, with the keyboard only
    await page.getByTestId('add-panel').focus();
    await page.keyboard.press('Enter');
    const editor = page.getByTestId('panel-editor');
    await editor.waitFor();
    await editor.getByLabel('Title').fill('Greenhouse temperature');
    await editor.getByLabel('Stream').selectOption('sensor_readings');
    await editor.getByRole('radio', { name: 'These' }).check();
    for (const box of await editor
      .getByRole('group', { name: 'Entities of this panel' })
      .getByRole('checkbox')
      .all())
      if (await box.isChecked()) await box.uncheck();
    await editor.getByRole('checkbox', { name: new RegExp(device) }).check();
    await editor.getByLabel('Visualisation').selectOption('line');
    await editor.getByRole('button', { name: 'Save panel' }).click();
    await editor.waitFor({ state: 'hidden' });

    // a table of every sensor, and a heatmap across them
    for (const [title, vis, width] of [
      ['Every sensor now', 'table', '12'],
      ['Humidity across sensors', 'heatmap', '12'],
    ] as const) {
      await page.getByTestId('add-panel').click();
      await editor.getByLabel('Title').fill(title);
      await editor.getByLabel('Stream').selectOption('sensor_readings');
      if (vis === 'heatmap') {
        await editor.getByRole('checkbox', { name: 'temperature' }).uncheck();
        await editor.getByRole('checkbox', { name: 'humidity' }).check();
      }
      await editor.getByRole('radio', { name: 'All' }).check();
      await editor.getByLabel('Visualisation').selectOption(vis);
      await editor.getByLabel('Width').selectOption(width);
      await editor.getByRole('button', { name: 'Save panel' }).click();
      await editor.waitFor({ state: 'hidden' });
    }
    const panels = page.getByTestId('panels').locator('section[data-panel-title]');
    await expect.poll(() => panels.count()).toBe(3);
    panelId = (await panels.first().getAttribute('data-testid'))!.replace('panel-', '');
    // the rows are in Postgres, as data
    const { rows } = await db.query(
      `SELECT p.title, p.visualization, p.entities FROM public.panels p JOIN public.dashboards d ON d.id = p.dashboard_id
        WHERE d.owner_id = 'alice' AND d.title = 'E2E greenhouse' ORDER BY p.position`,
    );
    expect(rows.map((r: { visualization: string }) => r.visualization)).toEqual([
      'line',
      'table',
      'heatmap',
    ]);
    expect(rows[0].entities).toEqual({ mode: 'ids', ids: [Number(entity)] });
    await page.getByTestId('shared-toggle').check();
    await page.getByTestId('edit-toggle').click();

    await produceReading(device, new Date(), 21.75);
    await waitFor('the produced value on the new panel', async () => {
      const d = await panelSeries(page, panelId);
      return d?.series[0]?.y.some((v) => v !== null && Math.abs(v - 21.75) < 1e-6);
    });
    // the table of every sensor lists this one too (its key sorts after the 50 seeded sensors),
    // with the average of its two readings, or of the newer one if the range has passed the first
    const row = page.getByTestId('panel-table').getByRole('row', { name: device });
    await row.waitFor();
    await expect
      .poll(async () => Number(await row.getByRole('cell').first().textContent()), {
        timeout: 30_000,
      })
      .toBeGreaterThanOrEqual(20);
    expect(Number(await row.getByRole('cell').first().textContent())).toBeLessThanOrEqual(21.75);
  });

  it('should zoom by dragging across a chart, and put the view in its URL', async () => {
    await page.getByTestId('time-preset').selectOption('now-15m');
    await page.waitForURL(/from=now-15m/);
    // the URL changes first; the drag below reads the chart's scale, so wait for it to follow
    await waitFor('the chart on the last 15 minutes', async () => {
      const d = await panelSeries(page, panelId);
      return d && Math.abs(d.max - d.min - 900) < 1;
    });
    const over = page.getByTestId(`chart-${panelId}`).locator('.u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.waitForURL(/from=\d{13}&to=\d{13}/);
    const url = new URL(page.url());
    const span = Number(url.searchParams.get('to')) - Number(url.searchParams.get('from'));
    expect(span).toBeGreaterThan(3 * 60_000);
    expect(span).toBeLessThan(9 * 60_000);
    // and the page follows its URL: no longer following now, the chart on the zoomed span
    await expect
      .poll(() => page.getByTestId('follow-now').getAttribute('aria-pressed'), { timeout: 10_000 })
      .toBe('false');
    const from = Number(url.searchParams.get('from'));
    const drawn = await waitFor('the chart on the zoomed range', async () => {
      const d = await panelSeries(page, panelId);
      return d && Math.abs(d.min * 1000 - from) < 1000 ? d : undefined;
    });
    expect(drawn.max - drawn.min).toBeCloseTo(span / 1000, 0);
    await screenshot(page, 'dashboard-zoomed');
  });

  it('should open the shared URL in another browser, the same view, read-only for another user', async () => {
    const url = page.url().replace(webUrl, '');
    const other = await openAs(bob, url);
    await other.getByRole('heading', { name: 'E2E greenhouse' }).waitFor();
    expect(await other.getByTestId('dashboard-access').textContent()).toMatch(
      /Shared by alice · read-only/,
    );
    expect(await other.getByTestId('edit-toggle').count()).toBe(0);
    const mine = await panelSeries(page, panelId);
    const theirs = await waitFor('the same chart', () => panelSeries(other, panelId));
    expect([theirs.min, theirs.max]).toEqual([mine!.min, mine!.max]);
    // and the permissions, not the buttons, stop an edit
    const res = await other.evaluate(async () => {
      const session = (await (await fetch('/api/session')).json()) as {
        token: string;
        graphqlUrl: string;
      };
      const r = await fetch(session.graphqlUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${session.token}`,
          'x-hasura-role': 'user',
        },
        body: JSON.stringify({
          query:
            'mutation { update_dashboards(where: {}, _set: { title: "pwned" }) { affected_rows } }',
        }),
      });
      return r.json();
    });
    expect(res).toEqual({ data: { update_dashboards: { affected_rows: 0 } } });
    await screenshot(other, 'dashboard-shared-read-only');
    await other.close();
  });

  it('should fire an alert declared on a panel from a value produced on Kafka, and resolve it', async () => {
    await page.getByTestId('follow-now').click();
    await page.waitForURL(/to=now/);
    await page.getByTestId(`panel-${panelId}`).getByTestId('panel-alerts').click();
    const dialog = page.getByTestId('alert-rules');
    await dialog.getByLabel('Name').fill('Greenhouse too hot');
    await dialog.getByLabel('When it is').selectOption('above');
    await dialog.getByLabel('Threshold').fill('40');
    await dialog.getByRole('button', { name: 'Save rule' }).click();
    await dialog.getByText('temperature above 40').waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await produceReading(device, new Date(), 45.5);
    await page
      .getByTestId(`panel-${panelId}`)
      .getByTestId('panel-firing')
      .waitFor({ timeout: 30_000 });
    await page.getByTestId('firing-alerts').getByText('Greenhouse too hot').waitFor();
    const { rows } = await db.query(
      "SELECT state, fired_value, rule_name FROM public.alerts WHERE rule_name = 'Greenhouse too hot'",
    );
    expect(rows).toEqual([{ state: 'firing', fired_value: 45.5, rule_name: 'Greenhouse too hot' }]);
    await screenshot(page, 'dashboard-alert-firing');
    const list = await openAs(alice, '/alerts');
    await list.getByTestId('alerts-table').getByText('Greenhouse too hot').waitFor();
    await list.close();

    await produceReading(device, new Date(), 22);
    await page
      .getByTestId(`panel-${panelId}`)
      .getByTestId('panel-firing')
      .waitFor({ state: 'detached', timeout: 30_000 });
    const after = await db.query(
      "SELECT state, resolved_reason FROM public.alerts WHERE rule_name = 'Greenhouse too hot'",
    );
    expect(after.rows).toEqual([{ state: 'resolved', resolved_reason: 'cleared' }]);
  });

  it('should export what a panel shows as CSV, and its chart as PNG', async () => {
    const panel = page.getByTestId(`panel-${panelId}`);
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByTestId('export-csv').click(),
    ]);
    expect(csv.suggestedFilename()).toBe('greenhouse-temperature.csv');
    const text = await fs.readFile((await csv.path())!, 'utf8');
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toBe('time,entity_id,entity,metric,value');
    expect(lines.some((l) => l.endsWith(',temperature,45.5'))).toBe(true);
    const [png] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByTestId('export-png').click(),
    ]);
    const bytes = await fs.readFile((await png.path())!);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    await fs.mkdir(SHOTS, { recursive: true });
    await fs.writeFile(path.join(SHOTS, 'panel-export.png'), bytes);
  });

  it('should give every control of every page an accessible name and let the keyboard reach it', async () => {
    const dashboardPath = new URL(page.url()).pathname;
    for (const url of [
      '/',
      '/dashboards',
      dashboardPath,
      '/streams/sensor_readings',
      '/alerts',
      '/pipelines',
    ]) {
      const p = await openAs(alice, url);
      await p.getByRole('heading', { level: 1 }).first().waitFor();
      await p.waitForTimeout(1500);
      const problems = await checkAccessibility(p);
      expect(problems, url).toEqual([]);
      // the first Tab lands on the skip link, which jumps to the content
      await p.keyboard.press('Tab');
      expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      await p.close();
    }
  });
});
