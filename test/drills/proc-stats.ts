// What the soak watches in each daemon from outside: the V8 heap in use (from a diagnostic report the
// daemon writes on SIGUSR2, enabled through NODE_OPTIONS by the drill mesh), resident memory and open
// file descriptors (from /proc).
import assert from 'node:assert/strict'
import { readdir, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { waitFor } from '../helpers.js'

export interface ProcSample { at: number, heapUsed: number, rss: number, fds: number }

export async function sampleProcess (pid: number, reportDir: string): Promise<ProcSample | undefined> {
  let fds: number
  let rss: number
  try {
    fds = (await readdir(`/proc/${pid}/fd`)).length
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
  } catch {
    return undefined // exited
  }
  const old = new Set(await readdir(reportDir))
  process.kill(pid, 'SIGUSR2')
  let file = ''
  await waitFor(async () => {
    file = (await readdir(reportDir)).find(f => !old.has(f) && f.endsWith('.json')) ?? ''
    if (file === '') return false
    try { JSON.parse(await readFile(join(reportDir, file), 'utf8')); return true } catch { return false }
  }, 10_000, `a diagnostic report from pid ${pid}`)
  const report = JSON.parse(await readFile(join(reportDir, file), 'utf8')) as { javascriptHeap: { usedMemory: number } }
  await unlink(join(reportDir, file)).catch(() => {})
  return { at: Date.now(), heapUsed: report.javascriptHeap.usedMemory, rss, fds }
}

const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`

/**
 * Bounded means: the low-water mark of the heap in the last third of the run is within a margin of
 * the first third's (garbage comes and goes; a leak raises the floor), and descriptors do not creep.
 */
export function assertBounded (name: string, samples: ProcSample[]): string {
  assert.ok(samples.length >= 3, `${name}: only ${samples.length} samples`)
  const third = Math.max(1, Math.floor(samples.length / 3))
  const first = samples.slice(0, third)
  const last = samples.slice(-third)
  const floor = (xs: ProcSample[], k: keyof ProcSample): number => Math.min(...xs.map(s => s[k]))
  const heap0 = floor(first, 'heapUsed')
  const heap1 = floor(last, 'heapUsed')
  const fd0 = Math.max(...first.map(s => s.fds))
  const fd1 = Math.max(...last.map(s => s.fds))
  const rss1 = Math.max(...samples.map(s => s.rss))
  assert.ok(heap1 <= heap0 * 1.5 + 16 * 1048576, `${name}: heap floor grew from ${mb(heap0)} to ${mb(heap1)}`)
  assert.ok(fd1 <= fd0 + 16, `${name}: open descriptors grew from ${fd0} to ${fd1}`)
  assert.ok(rss1 < 1024 * 1048576, `${name}: resident memory reached ${mb(rss1)}`)
  return `${name}: heap floor ${mb(heap0)} -> ${mb(heap1)}, fds ${fd0} -> ${fd1}, peak RSS ${mb(rss1)} (${samples.length} samples)`
}
