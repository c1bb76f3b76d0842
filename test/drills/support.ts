// What every fault drill uses: the lease the drill coordinators run with, submitting a mix of
// quick jobs, waiting for a job to run, finding a worker or a daemon's log line, and the one-line
// summary each drill prints after its invariants.
import { waitFor } from '../helpers.js'
import type { DrillMesh, DrillNode, JobJson } from './mesh.js'
import type { InvariantReport } from './invariants.js'

export const LEASE_MS = 3_000
export const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

export function summary (what: string, t0: number, r: InvariantReport): void {
  const s = ((Date.now() - t0) / 1000).toFixed(1)
  process.stdout.write(`      [drill] ${what}: ${s} s; submitted ${r.submitted} = succeeded ${r.succeeded} + failed ${r.failedWithReason}; ${r.settlements} settlements; replicas verified: ${r.replicasVerified.join(', ') || '-'}${r.replicasWithoutLog.length > 0 ? `; no log yet: ${r.replicasWithoutLog.join(', ')}` : ''}\n`)
}

/** Submits quick jobs of every kind that ends a job: success, a failing program, an executor error. */
export async function submitMix (mesh: DrillMesh, n: number, tag: string): Promise<string[]> {
  const ids: string[] = []
  // the first through the CLI as a user would, the rest straight to the control API (a CLI process
  // costs a second or two on a busy two-core machine)
  ids.push(await mesh.submit(['--executor', 'noop', '--input', `${tag}-cli`, '--label', `${tag}-cli`]))
  for (let i = 1; i < n; i++) {
    const k = i % 3
    if (k === 1) ids.push(await mesh.submitApi({ executor: 'process', args: ['false'], label: `${tag}-exit1-${i}` }))
    else if (k === 2) ids.push(await mesh.submitApi({ executor: 'process', args: ['not-allowed-here'], maxAttempts: 1, label: `${tag}-refused-${i}` }))
    else ids.push(await mesh.submitApi({ executor: 'noop', input: `${tag}-${i}`, delayMs: 150, label: `${tag}-${i}` }))
  }
  return ids
}

/** The first JSON log line with this message about this job. */
export function logLine (logs: string, msg: string, jobId: string): Record<string, unknown> | undefined {
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      const o = JSON.parse(line) as Record<string, unknown>
      if (o.msg === msg && o.jobId === jobId) return o
    } catch {}
  }
  return undefined
}

export function nodeOf (mesh: DrillMesh, peerId: string | undefined): DrillNode | undefined {
  return mesh.workers.find(w => w.peerId === peerId)
}

export async function waitRunning (mesh: DrillMesh, id: string, timeoutMs = 20_000): Promise<JobJson> {
  let s: JobJson | undefined
  await waitFor(async () => {
    s = await mesh.status(id)
    return s.state === 'running'
  }, timeoutMs, `job ${id.slice(0, 12)} to run`)
  return s as JobJson
}
