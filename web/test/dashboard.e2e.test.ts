/**
 * The dashboard in a real Chromium against the real stack (Postgres, Kafka, engine, worker,
 * producer, web): the run's Postgres (a private database) and Kafka broker, the services on free
 * ports in a temporary folder:
 * - a value produced to Kafka appears on the chart,
 * - a stream declared at run time appears without a rebuild,
 * - after the engine restarts the chart resumes without gaps or duplicates,
 * - the token is renewed before it expires without blanking the chart,
 * - the admin secret appears in no bundle and no response the browser receives,
 * and a screenshot of each page is saved under .data/screenshots/ for review.
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

const WEB = path.resolve(import.meta.dirname, '..');

const SHOTS = path.resolve(WEB, '..', '.data', 'screenshots');
const TOKEN_TTL_S = 20;

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
  page.on('websocket', (ws) =>
    ws.on('framereceived', (f) => received.push({ url: ws.url(), body: String(f.payload) })),
  );
  await page.goto(`${webUrl}${url}`, { waitUntil: 'domcontentloaded' });
  return page;
}

async function chartData(
  page: Page,
  metric: string,
): Promise<{ x: number[]; y: Array<number | null> }> {
  return page.evaluate((m) => window.__streamsyncCharts?.[m]?.() ?? { x: [], y: [] }, metric);
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
      `/streams/sensor_readings?entity=${id}&metrics=temperature,humidity&window=5m`,
    );
    await waitFor('the first value on the chart', async () => {
      const { y } = await chartData(page, 'temperature');
      return y.some((v) => v !== null && Math.abs(v - 21.5) < 1e-6);
    });
    // and one produced while the page is open
    await produceReading(device, new Date(), 23.25);
    await waitFor(
      'the new value on the chart',
      async () => {
        const { y } = await chartData(page, 'temperature');
        return y.some((v) => v !== null && Math.abs(v - 23.25) < 1e-6);
      },
      { timeoutMs: 30_000 },
    );
    await page.getByTestId('latest-rows').waitFor();
    // a long window switches to the rollups and still draws
    // the radio is visually hidden inside its label (a segmented control): click what a user sees
    const radio = page.getByRole('radio', { name: '24 h' });
    await expect.poll(() => radio.isEnabled(), { timeout: 30_000 }).toBe(true);
    await page.locator('label').filter({ has: radio }).click();
    await expect.poll(() => radio.isChecked()).toBe(true);
    await page.waitForURL(/window=24h/);
    await waitFor(
      'the rollup chart',
      async () => (await page.getByTestId('charts').getAttribute('data-status')) === 'live',
    );
    await page.close();
  });

  it('should resume after the engine restarts without gaps or duplicates, and renew its token without blanking', async () => {
    const device = `sensor-e2e-${randomBytes(3).toString('hex')}`;
    const t0 = Date.now() - 60_000;
    await produceReading(device, new Date(t0), 0);
    const id = await entityId('sensor', device);
    const page = await openPage(
      `/streams/sensor_readings?entity=${id}&metrics=temperature&window=5m`,
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
    await page.getByRole('link', { name: /wind e2e/i }).click();
    await page.waitForURL(new RegExp(`/streams/${table}`));
    await waitFor('its chart', async () => (await chartData(page, 'speed')).y.includes(7.5));
    await page.close();
  });

  it('should show pipeline health', async () => {
    await producer.send({ topic: 'sensor-readings', messages: [{ value: 'not json at all' }] });
    const page = await openPage('/pipelines');
    await page.getByTestId('partitions').waitFor({ timeout: 30_000 });
    await page.getByTestId('dead-letters').getByText(/json/i).first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('dead-letters').textContent()).toMatch(/json/i);
    expect(await page.getByTestId('partitions').isVisible()).toBe(true);
    await page.close();
  });

  it('should save a screenshot of each page for review', async () => {
    const shots: Array<[string, string, { width: number; height: number }, 'light' | 'dark']> = [
      ['overview', '/', { width: 1280, height: 900 }, 'light'],
      ['stream-5m', '/streams/sensor_readings?window=5m', { width: 1280, height: 900 }, 'light'],
      ['stream-24h', '/streams/sensor_readings?window=24h', { width: 1280, height: 900 }, 'light'],
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
      await page.waitForTimeout(3000); // let the live segments fill in
      await screenshot(page, name);
      await page.close();
      expect(existsSync(path.join(SHOTS, `${name}.png`))).toBe(true);
    }
  });

  it('should never send the admin secret to the browser', async () => {
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
  });
});
