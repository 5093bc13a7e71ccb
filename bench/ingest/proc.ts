/**
 * CPU time of the processes in the benchmark, read from /proc (Linux), so the report can say who
 * was busy: the worker, Postgres (the postmaster and every backend) or the Kafka broker.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

interface Stat {
  ppid: number;
  /** user + system seconds of the process itself */
  own: number;
  /** user + system seconds of its children that have exited and been reaped */
  reaped: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name may contain spaces and parentheses: the fields start after the last ')'
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const tick = clockTicks();
  return {
    ppid: Number(f[1]),
    own: (Number(f[11]) + Number(f[12])) / tick,
    reaped: (Number(f[13]) + Number(f[14])) / tick,
  };
}

/** CPU seconds of one process, 0 when it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  return readStat(pid)?.own ?? 0;
}

/**
 * CPU seconds of a process and all its descendants, the exited ones included (Postgres runs a
 * backend per connection, and the counters of those that ended live on in their parent).
 */
export function treeCpuSeconds(root: number | undefined): number {
  if (root === undefined) return 0;
  const parentOf = new Map<number, number>();
  const stats = new Map<number, Stat>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (!s) continue;
    stats.set(Number(entry), s);
    parentOf.set(Number(entry), s.ppid);
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, depth = 0; p !== undefined && depth < 50; depth++) {
      if (p === root) return true;
      p = parentOf.get(p);
    }
    return false;
  };
  let total = 0;
  for (const [pid, s] of stats) {
    if (!inTree(pid)) continue;
    // a live process's own time, plus what its reaped children left behind; the live children
    // count themselves
    total += s.own + s.reaped;
  }
  return total;
}

/** Resident memory of a process and its live descendants (MiB), 0 when it is gone. */
export function treeRssMb(root: number | undefined): number {
  if (root === undefined) return 0;
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s) parentOf.set(Number(entry), s.ppid);
  }
  let kb = 0;
  for (const pid of parentOf.keys()) {
    let p: number | undefined = pid;
    for (let depth = 0; p !== undefined && p !== root && depth < 50; depth++) p = parentOf.get(p);
    if (p !== root) continue;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += m ? Number(m[1]) : 0;
    } catch {
      // gone since the listing
    }
  }
  return Math.round((kb / 1024) * 10) / 10;
}

export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
