// Runs a command and measures it, for the benchmarks: wall seconds (timed here,
// around the child), user+sys seconds and peak RSS bytes. GNU `/usr/bin/time -v`
// gives the last two when it exists; without it the child's VmHWM is polled from
// /proc (monotonic, so the last read trails the true peak by at most one poll
// interval) and user+sys is NaN.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const GNU_TIME = '/usr/bin/time';

/**
 * Resolves with { ok, status, stdout, stderr, wall, cpu, peak, peakSource };
 * `opts` go to child_process.spawn (cwd, env, …).
 */
export async function measure(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
  if (existsSync(GNU_TIME)) {
    const r = spawnSync(GNU_TIME, ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
    const wall = seconds();
    const num = (re) => { const m = re.exec(r.stderr); return m ? Number(m[1]) : NaN; };
    return {
      ok: r.status === 0, status: r.status, stdout: r.stdout, stderr: r.stderr, wall,
      cpu: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/),
      peak: num(/Maximum resident set size \(kbytes\): (\d+)/) * 1024, peakSource: '/usr/bin/time -v',
    };
  }
  return await new Promise((done) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    let hwm = 0;
    child.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]) * 1024);
      } catch { /* exited */ }
    }, 10);
    const finish = (status, err = '') => {
      clearInterval(poll);
      done({ ok: status === 0, status, stdout, stderr: stderr + err, wall: seconds(), cpu: NaN, peak: hwm, peakSource: '/proc VmHWM (polled)' });
    };
    child.on('error', (e) => finish(null, String(e)));
    child.on('close', (status) => finish(status));
  });
}

/** The median (the mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The lower median: always one of the measured values (the convert-sizes table reports those). */
export function lowerMedian(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}
