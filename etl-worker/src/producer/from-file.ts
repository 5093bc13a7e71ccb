/**
 * `npm run produce -- --stream <pipeline> --file msgs.jsonl` (or `--file -`, or messages piped in):
 * a data admin's test messages, one JSON document a line, sent as they are to the topic of a
 * declared pipeline, so a new stream can be tried on the running stack without writing a producer.
 * Each message is keyed by the pipeline's entity key (its `entity.key` path), as a real producer
 * would key it, so one entity's messages stay in order on one partition. A line that is not JSON is
 * sent all the same: the worker dead-letters it with its reason, which is worth seeing too.
 */
import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { CompressionTypes, type Kafka, type Message } from 'kafkajs';
import pg from 'pg';
import type { Logger } from 'pino';
import { ConfigError, query, sql } from '@streamsync/database';
import { ensureTopics } from '../kafka/topics.ts';
import { compileJsonPath } from '../pipeline/json-path.ts';
import { connectProducer } from './kafka-client.ts';

export interface PipelineTarget {
  topic: string;
  /** the path of the entity key in a message, when the pipeline names one */
  keyPath?: string;
}

/** The topic and entity key path of a declared pipeline (etl.pipelines). */
export async function pipelineTarget(databaseUrl: string, name: string): Promise<PipelineTarget> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await query<{ topics: string[]; key_path: string | null }>(
      client,
      sql`SELECT topics, entity->>'key' AS key_path FROM etl.pipelines WHERE name = ${sql.value(name)}`,
    );
    if (rows.length === 0) {
      const { rows: known } = await query<{ name: string }>(
        client,
        sql`SELECT name FROM etl.pipelines ORDER BY name`,
      );
      throw new ConfigError(
        '--stream',
        `no pipeline ${JSON.stringify(name)} in etl.pipelines (declared: ${known.map((r) => r.name).join(', ') || 'none'}); ` +
          'add its row first (README: "Adding a stream"), or give --topic',
      );
    }
    return { topic: rows[0]!.topics[0]!, keyPath: rows[0]!.key_path ?? undefined };
  } finally {
    await client.end();
  }
}

export interface FileResult {
  topic: string;
  messages: number;
  /** lines that are not JSON (sent anyway: the worker dead-letters them) */
  not_json: number;
}

export async function produceFromLines(opts: {
  kafka: Kafka;
  target: PipelineTarget;
  input: Readable;
  partitions: number;
  /** where a producer without idempotence (refused by the cluster) is said */
  log?: Logger;
}): Promise<FileResult> {
  const key = opts.target.keyPath ? compileJsonPath(opts.target.keyPath) : undefined;
  await ensureTopics(opts.kafka, [opts.target.topic], opts.partitions);
  const producer = await connectProducer(opts.kafka, opts.log);
  let messages = 0;
  let notJson = 0;
  let batch: Message[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await producer.send(opts.target.topic, batch, {
      acks: -1,
      compression: CompressionTypes.None,
    });
    messages += batch.length;
    batch = [];
  };
  try {
    for await (const line of readline.createInterface({ input: opts.input, crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      let k: unknown;
      try {
        k = key?.get(JSON.parse(line));
      } catch {
        notJson++;
      }
      batch.push({
        key: typeof k === 'string' || typeof k === 'number' ? String(k) : null,
        value: line,
      });
      if (batch.length >= 500) await flush();
    }
    await flush();
  } finally {
    await producer.producer.disconnect();
  }
  return { topic: opts.target.topic, messages, not_json: notJson };
}

/** The lines to send: a file, or standard input for `-` (refused when it is a terminal). */
export function openInput(file: string): Readable {
  if (file !== '-') return createReadStream(file);
  if (process.stdin.isTTY) {
    throw new ConfigError(
      '--file',
      '"-" reads the messages from standard input, which is a terminal: pipe them in (… | npm run produce -- --stream S --file -) or name a file',
    );
  }
  return process.stdin;
}
