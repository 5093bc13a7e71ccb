/**
 * A throwaway Redis for the tests and benches that use the engine's Redis response cache
 * (HASURA_GRAPHQL_REDIS_URL): the Debian `redis-server` that `.ci/run` installs, on a free port of
 * 127.0.0.1, nothing saved to disk. A missing binary is an error, never a skip.
 */
import { spawn } from 'node:child_process';
import { freePort, isListening } from './ports.ts';

export interface RunningRedis {
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(binary = 'redis-server'): Promise<RunningRedis> {
  const port = await freePort();
  const proc = spawn(
    binary,
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) => {
    proc.once('error', (e) => reject(new Error(`${binary} could not start: ${e.message}`)));
    proc.once('exit', (code) =>
      reject(new Error(`${binary} exited with ${code} before listening`)),
    );
  });
  failed.catch(() => {}); // observed below; after a successful start an exit is stop()'s doing
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  const deadline = Date.now() + 10_000;
  while (!(await isListening(port, '127.0.0.1', 200))) {
    await Promise.race([failed, new Promise((r) => setTimeout(r, 50))]);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${binary} did not listen on 127.0.0.1:${port} within 10 s`);
    }
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}
