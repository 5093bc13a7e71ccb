/**
 * `npm start`: the whole platform on this machine with demo data. Ctrl-C stops everything.
 */
import { ConfigError } from '@streamsync/database';
import { startStack } from './stack.ts';

const t0 = Date.now();
const log = (line: string) => process.stdout.write(`[stack] ${line}\n`);

let stack: Awaited<ReturnType<typeof startStack>> | undefined;
let stopping = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  await stack?.stop();
  log('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  stack = await startStack({ log, output: (line) => process.stdout.write(`${line}\n`) });
} catch (err) {
  if (err instanceof ConfigError) {
    log(err.message);
  } else {
    log(`failed to start: ${(err as Error).stack ?? String(err)}`);
  }
  process.exit(1);
}

const width = Math.max(...Object.keys(stack.endpoints).map((k) => k.length));
log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
for (const [name, url] of Object.entries(stack.endpoints)) log(`  ${name.padEnd(width)}  ${url}`);
log(`  admin secret in .data/local-secrets.json (console, hasura CLI); Ctrl-C stops everything`);
if (stopping) await shutdown('signal');
