/**
 * A child process that hosts engines for the runner, one at a time: it loads engine/src/server.ts
 * once, then starts and stops engines on request over the IPC channel. The runner keeps one host
 * per parallel job, so each group still gets its own engine in a process of its own (a crash
 * takes down only that host), without paying Node's and the engine's start-up for every group.
 *
 * Messages in: {type: 'start', env} | {type: 'stop'}.
 * Messages out: {type: 'ready'} | {type: 'started', url} | {type: 'stopped'} | {type: 'error', message}.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface Running {
  url: string;
  close(): Promise<void> | void;
}

type Inbound = { type: 'start'; env: Record<string, string> } | { type: 'stop' };

const repoRoot = process.argv[2] ?? process.cwd();
const send = (msg: object) => process.send?.(msg);

async function main(): Promise<void> {
  const { loadConfig } = (await import(
    pathToFileURL(path.join(repoRoot, 'engine/src/config.ts')).href
  )) as {
    loadConfig: (env: NodeJS.ProcessEnv) => unknown;
  };
  const { startEngine } = (await import(
    pathToFileURL(path.join(repoRoot, 'engine/src/server.ts')).href
  )) as {
    startEngine: (config: unknown) => Promise<Running>;
  };
  let current: Running | undefined;

  process.on('message', (msg: Inbound) => {
    void (async () => {
      try {
        if (msg.type === 'start') {
          if (current) await current.close();
          current = await startEngine(loadConfig(msg.env));
          send({ type: 'started', url: current.url });
        } else if (msg.type === 'stop') {
          const c = current;
          current = undefined;
          await c?.close();
          send({ type: 'stopped' });
        }
      } catch (e) {
        send({ type: 'error', message: (e as Error).stack ?? String(e) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

main().catch((e: unknown) => {
  console.error(e);
  send({ type: 'error', message: (e as Error).stack ?? String(e) });
  process.exit(1);
});
