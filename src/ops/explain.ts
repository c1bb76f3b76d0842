// `jobs explain ID`: why a job is where it is. Job-level facts (state, backoff, announcements, a
// paused coordinator, a staged ramp), then every worker this coordinator knows with the reasons it
// was or was not chosen (capability, paused, draining, isolated, quarantined, at capacity, its
// lease history on this job), then the refusals recorded while workers claimed.
import type { JobRecord } from '../jobs/types.js'
import type { OperatorState } from './operator-state.js'
import type { WorkerHealth } from './worker-health.js'

export interface Decision { at: number, worker: string, reason: string, count: number }

export interface WorkerVerdict {
  peer: string
  connected: boolean
  verdict: 'assigned' | 'eligible' | 'excluded'
  reasons: string[]
  /** this worker's attempts at this job */
  history: string[]
}

export interface Explanation {
  jobId: string
  state: string
  summary: string
  facts: string[]
  workers: WorkerVerdict[]
  decisions: Array<{ at: string, worker: string, reason: string, count: number }>
}

export interface ExplainContext {
  now: number
  paused: boolean
  state: OperatorState
  health: WorkerHealth
  /** connected peers that are workers */
  connectedWorkers: Set<string>
  /** probe job id -> the quarantined worker it is pinned to */
  probes: Map<string, string>
  /** live leases held per worker at this coordinator */
  leasesByWorker: Map<string, number>
  decisions: Decision[]
}

const ago = (now: number, t: number): string => `${((now - t) / 1000).toFixed(1)} s ago`
const at = (t: number): string => new Date(t).toISOString()

export function explainJob (rec: JobRecord, ctx: ExplainContext): Explanation {
  const { now } = ctx
  const facts: string[] = []
  const queuedSince = [...rec.timestamps].reverse().find(t => t.state === 'queued')?.at ?? rec.createdAt
  facts.push(`attempt ${rec.attempt} of ${rec.maxAttempts}; executor ${rec.executor}; needs ${rec.memoryMb} MB`)
  if (rec.reason !== '') facts.push(`last reason: ${rec.reason}`)
  const probeFor = ctx.probes.get(rec.id)
  if (probeFor != null) facts.push(`probe job: only quarantined worker ${probeFor} may run it`)
  let summary: string
  switch (rec.state) {
    case 'queued': {
      summary = `queued since ${at(queuedSince)} (${ago(now, queuedSince)})`
      if (ctx.paused) facts.push('the coordinator is paused: no job is assigned until `admin resume`')
      const ramp = ctx.state.ramp(now)
      if (ramp != null) facts.push(`staged resume: at most ${ramp.ratePerSec} assignments/s (step ${ramp.step} of ${ramp.steps})`)
      if (rec.notBefore > now) facts.push(`retry backoff: not before ${at(rec.notBefore)} (in ${((rec.notBefore - now) / 1000).toFixed(1)} s)`)
      facts.push(rec.lastAnnouncedAt > 0 ? `announced (round ${rec.round}) ${ago(now, rec.lastAnnouncedAt)}` : 'not announced yet')
      break
    }
    case 'assigned':
    case 'running': {
      const l = rec.lease
      summary = `${rec.state} on ${l?.worker ?? '?'} (attempt ${l?.attempt ?? rec.attempt})`
      if (l != null) facts.push(`lease expires ${at(l.expiresAt)} (in ${((l.expiresAt - now) / 1000).toFixed(1)} s)`)
      break
    }
    default:
      summary = `${rec.state}${rec.result != null ? ` on ${rec.result.worker} (attempt ${rec.result.attempt})` : ''}`
  }

  const peers = new Set<string>([...ctx.connectedWorkers, ...ctx.health.all().map(w => w.peer), ...rec.attempts.map(a => a.worker)])
  const workers: WorkerVerdict[] = []
  for (const peer of peers) {
    const reasons: string[] = []
    const connected = ctx.connectedWorkers.has(peer)
    const w = ctx.health.get(peer)
    const op = ctx.state.peerState(peer)
    const history = rec.attempts.filter(a => a.worker === peer).map(a => `attempt ${a.attempt}: ${a.outcome}${a.reason != null && a.reason !== '' ? ` (${a.reason})` : ''}`)
    if (rec.lease?.worker === peer) {
      workers.push({ peer, connected, verdict: 'assigned', reasons: [`holds attempt ${rec.lease.attempt}`], history })
      continue
    }
    if (!connected) reasons.push('not connected')
    if (ctx.paused) reasons.push('paused: the coordinator assigns nothing')
    if (op?.isolate != null && op.isolate.until > now) reasons.push(`isolated until ${at(op.isolate.until)}${op.isolate.reason !== '' ? ` (${op.isolate.reason})` : ''}`)
    if (op?.drain != null) reasons.push(op.drain.drainedAt != null ? 'drained: takes no new work' : 'draining: takes no new work')
    if (op?.quarantine != null && probeFor !== peer) reasons.push(`quarantined until ${at(op.quarantine.until)}: ${op.quarantine.reason}`)
    if (probeFor != null && probeFor !== peer) reasons.push(`probe job pinned to ${probeFor}`)
    if (w?.lastClaim == null) {
      reasons.push('has not claimed from this coordinator yet (capabilities unknown)')
    } else {
      if (!w.lastClaim.executors.includes(rec.executor)) reasons.push(`capability: does not offer executor ${rec.executor} (offers ${w.lastClaim.executors.join(', ') || 'nothing'})`)
      if (w.lastClaim.memoryMb > 0 && rec.memoryMb > w.lastClaim.memoryMb) reasons.push(`capability: job needs ${rec.memoryMb} MB, worker allows ${w.lastClaim.memoryMb} MB`)
    }
    const leases = ctx.leasesByWorker.get(peer) ?? 0
    if (leases > 0 && (w?.lastClaim == null || w.lastClaim.at < now - 2_000)) reasons.push(`at capacity: runs ${leases} job(s) here and is not claiming`)
    if (history.length > 0) reasons.push(`lease history on this job: ${history.join('; ')}`)
    const blocking = reasons.filter(r => !r.startsWith('lease history'))
    workers.push({ peer, connected, verdict: blocking.length === 0 && rec.state === 'queued' ? 'eligible' : 'excluded', reasons: blocking.length === 0 ? ['eligible: may take it on its next claim', ...reasons] : reasons, history })
  }
  workers.sort((a, b) => order(a.verdict) - order(b.verdict) || a.peer.localeCompare(b.peer))
  if (rec.state === 'queued') {
    const eligible = workers.filter(w => w.verdict === 'eligible')
    facts.push(eligible.length > 0
      ? `${eligible.length} worker(s) eligible; it goes to the first that claims`
      : workers.length === 0 ? 'no worker known to this coordinator' : 'no worker is eligible (see below)')
  }
  return {
    jobId: rec.id,
    state: rec.state,
    summary,
    facts,
    workers,
    decisions: ctx.decisions.map(d => ({ at: at(d.at), worker: d.worker, reason: d.reason, count: d.count }))
  }
}

function order (v: WorkerVerdict['verdict']): number {
  return v === 'assigned' ? 0 : v === 'eligible' ? 1 : 2
}

/** Text for the CLI. */
export function explanationText (e: Explanation): string {
  const lines = [`${e.jobId}  ${e.summary}`]
  for (const f of e.facts) lines.push(`  - ${f}`)
  if (e.workers.length > 0) lines.push('workers considered:')
  for (const w of e.workers) {
    lines.push(`  ${w.peer}  ${w.verdict}${w.connected ? '' : ' (offline)'}`)
    for (const r of w.reasons) lines.push(`      ${r}`)
  }
  if (e.decisions.length > 0) lines.push('claims refused for this job:')
  for (const d of e.decisions) lines.push(`  ${d.at}  ${d.worker}  ${d.reason}${d.count > 1 ? ` (x${d.count})` : ''}`)
  return lines.join('\n')
}
