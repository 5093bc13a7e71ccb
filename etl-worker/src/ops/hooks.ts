/**
 * Webhooks the GraphQL server calls on the worker (the same from Hasura and from engine/, as
 * `{{STREAMSYNC_WEBHOOK_BASE}}/hooks/…` in hasura/metadata):
 *
 * - `POST /hooks/maintain-partitions` (cron trigger maintain_partitions): runs
 *   timeseries.maintain_partitions() and answers what it made and dropped;
 * - `POST /hooks/alert-fired` (event trigger alert_fired on public.alerts: an alert fired, or its
 *   state changed to resolved): logs the alert and counts it — the notification an operator sees;
 * - `POST /hooks/replay-dead-letters` (the admin action replay_dead_letters): re-publishes the
 *   chosen dead letters to their source topic and answers how many it sent (ops/replay.ts); bad
 *   input answers 400 `{message, code}`, which the GraphQL server shows as the action's error.
 *
 * With STREAMSYNC_WEBHOOK_SECRET set, a call must carry it in X-StreamSync-Webhook-Secret
 * (compared in constant time); bodies are bounded. A failure answers 500 with the reason, so the
 * caller records it and retries as its retry_conf says.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Message } from 'kafkajs';
import { query, sql } from '@streamsync/database';
import { readReplayInput, replayDeadLetters, ReplayInputError } from './replay.ts';

export interface HooksDeps {
  pool: pg.Pool;
  log: Logger;
  /** When set, required in X-StreamSync-Webhook-Secret. */
  secret: string | undefined;
  onAlert(): void;
  /** Publishes replayed dead letters (absent: replay answers 503). */
  republish?: (topic: string, messages: Message[]) => Promise<void>;
}

const MAX_BODY = 1024 * 1024;

const digest = (s: string) => createHash('sha256').update(s).digest();

function authorised(req: http.IncomingMessage, secret: string | undefined): boolean {
  if (secret === undefined) return true;
  const sent = req.headers['x-streamsync-webhook-secret'];
  return typeof sent === 'string' && timingSafeEqual(digest(sent), digest(secret));
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      } catch {
        reject(Object.assign(new Error('body is not JSON'), { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

/** Handle a `/hooks/…` request; false when the path is not one of them. */
export function handleHook(
  deps: HooksDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
): boolean {
  const routes: Record<string, (body: unknown) => Promise<unknown>> = {
    '/hooks/maintain-partitions': async () => {
      const { rows } = await query(deps.pool, sql`SELECT * FROM timeseries.maintain_partitions()`);
      deps.log.info({ hook: 'maintain-partitions', tables: rows }, 'partitions maintained');
      return { tables: rows };
    },
    '/hooks/alert-fired': async (body) => {
      const ev = (body ?? {}) as {
        id?: unknown;
        trigger?: { name?: unknown };
        event?: { data?: { new?: Record<string, unknown> } };
      };
      const alert = ev.event?.data?.new;
      if (!alert)
        throw Object.assign(new Error('expected an event trigger payload'), { status: 400 });
      deps.onAlert();
      const resolved = alert.state === 'resolved';
      deps.log.warn(
        {
          hook: 'alert-fired',
          event_id: ev.id,
          trigger: ev.trigger?.name,
          alert_id: alert.id,
          rule: alert.rule_name,
          stream: alert.stream,
          entity_id: alert.entity_id,
          metric: alert.metric,
          op: alert.op,
          threshold: alert.threshold,
          value: resolved ? alert.resolved_value : alert.fired_value,
          at: resolved ? alert.resolved_at : alert.fired_at,
        },
        resolved ? 'alert resolved' : 'alert fired',
      );
      return { notified: true };
    },
    '/hooks/replay-dead-letters': async (body) => {
      if (!deps.republish)
        throw Object.assign(new Error('replay is not available: no Kafka producer'), {
          status: 503,
        });
      const input = readReplayInput(body);
      const out = await replayDeadLetters(deps.pool, deps.republish, input);
      deps.log.info(
        { hook: 'replay-dead-letters', ...input, sent: out.sent },
        'dead letters replayed',
      );
      return out;
    },
  };
  const route = routes[path];
  if (!route) return false;
  const reply = (status: number, body: unknown) => {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return true;
  }
  if (!authorised(req, deps.secret)) {
    req.resume();
    reply(401, { error: 'missing or wrong X-StreamSync-Webhook-Secret' });
    return true;
  }
  readJson(req)
    .then(route)
    .then(
      (out) => reply(200, out),
      (e: Error & { status?: number }) => {
        // an action's handler answers Hasura's error shape: {message, code}
        if (e instanceof ReplayInputError) {
          deps.log.warn({ hook: path, err: e.message }, 'replay refused');
          reply(400, { message: e.message, code: e.code });
          return;
        }
        deps.log.error({ hook: path, err: e }, 'webhook failed');
        reply(e.status ?? 500, { error: e.message, message: e.message });
      },
    );
  return true;
}
