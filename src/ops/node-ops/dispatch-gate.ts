// The coordinator's dispatch gate as operator state answers it (src/jobs/dispatch-gate.ts is the
// seam): a paused coordinator, a draining, isolated or quarantined worker, or an exhausted staged
// ramp refuses a claim with a reason, which is kept per job for `jobs explain`; a probe job is
// pinned to the quarantined worker it tests.
import type { ClaimInfo, DispatchGate } from '../../jobs/dispatch-gate.js'
import type { JobRecord } from '../../jobs/types.js'
import type { OperatorState } from '../operator-state.js'
import type { Decision } from '../explain.js'
import type { OpsContext } from './context.js'

/** label of a probe job, followed by the quarantined worker's peer id */
export const PROBE_LABEL = 'probe:'
const DECISIONS_PER_JOB = 20

/** Probe job id → the quarantined worker it is pinned to. */
export function probeJobs (state: OperatorState): Map<string, string> {
  const m = new Map<string, string>()
  for (const [peer, p] of Object.entries(state.peers)) if (p.quarantine?.probeJob != null) m.set(p.quarantine.probeJob, peer)
  return m
}

export class OperatorGate implements DispatchGate {
  private readonly decisions = new Map<string, Decision[]>()

  /** `onDrainingClaim`: a draining worker claimed, so it may have missed the drain notice */
  constructor (private readonly ctx: OpsContext, private readonly onDrainingClaim: (worker: string) => void) {}

  admit (worker: string, claim: ClaimInfo): string | undefined {
    this.ctx.health.claimed(worker, claim)
    const reason = this.refusal(worker, true)
    if (reason == null) return undefined
    this.ctx.health.refused(worker, reason)
    if (claim.jobId !== '') this.decide(claim.jobId, worker, reason)
    const p = this.ctx.state.peerState(worker)
    if (p?.drain != null) this.onDrainingClaim(worker)
    return reason
  }

  refuses (worker: string): boolean {
    return this.refusal(worker, true) != null
  }

  allows (worker: string, rec: JobRecord): boolean {
    const owner = probeJobs(this.ctx.state).get(rec.id) ?? this.probeTarget(rec)
    if (owner != null && owner !== worker) { this.decide(rec.id, worker, `probe job pinned to ${owner}`); return false }
    if (owner == null && this.ctx.state.peerState(worker)?.quarantine != null) return false
    return true
  }

  reserve (): () => void {
    return this.ctx.state.reserve()
  }

  /** Why a worker may not be given work now; undefined when it may. */
  refusal (worker: string, withRamp: boolean, now = Date.now()): string | undefined {
    const state = this.ctx.state
    if (state.paused) return 'coordinator paused'
    const p = state.peerState(worker)
    if (p?.isolate != null && p.isolate.until > now) return `isolated until ${new Date(p.isolate.until).toISOString()}`
    if (p?.drain != null) return 'draining: no new work'
    if (p?.quarantine != null) {
      const probe = p.quarantine.probeJob
      if (probe == null || this.ctx.store?.live.get(probe)?.state !== 'queued') return `quarantined until ${new Date(p.quarantine.until).toISOString()}: ${p.quarantine.reason}`
    }
    return withRamp ? state.rampAllows(now) : undefined
  }

  /** The refusals recorded for a job while workers claimed. */
  decisionsFor (jobId: string): Decision[] {
    return this.decisions.get(jobId) ?? []
  }

  /** The job is terminal: nobody will ask why it was not given out. */
  forget (jobId: string): void {
    this.decisions.delete(jobId)
  }

  private decide (jobId: string, worker: string, reason: string): void {
    let list = this.decisions.get(jobId)
    if (list == null) {
      if (this.ctx.store?.live.has(jobId) !== true) return
      list = []
      this.decisions.set(jobId, list)
    }
    const same = list.find(d => d.worker === worker && d.reason === reason)
    if (same != null) { same.count++; same.at = Date.now(); return }
    list.push({ at: Date.now(), worker, reason, count: 1 })
    if (list.length > DECISIONS_PER_JOB) list.shift()
  }

  /**
   * The worker a probe job is pinned to, known from the job itself: the probe is queued (and may be
   * offered to a waiting claim) before its id is recorded in the quarantine. Only jobs this node
   * submitted count, so a user's label cannot pin anything.
   */
  private probeTarget (rec: JobRecord): string | undefined {
    const node = this.ctx.node
    if (!rec.label.startsWith(PROBE_LABEL) || node == null || rec.owner !== node.libp2p.peerId.toString()) return undefined
    return rec.label.slice(PROBE_LABEL.length)
  }
}
