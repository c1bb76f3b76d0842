// Per-worker track record as one coordinator sees it: what each worker claimed, how its attempts
// ended, its recent failure rate and its run of consecutive failures (what triggers quarantine).
// Kept in memory: after a restart a worker starts with a clean record, while a quarantine already
// decided is part of the persisted operator state.
import type { ClaimInfo } from '../jobs/dispatch-gate.js'

export type AttemptEnd = 'succeeded' | 'failed' | 'lease-expired'

export interface WorkerRecord {
  peer: string
  assigned: number
  succeeded: number
  failed: number
  leaseExpired: number
  consecutiveFailures: number
  /** outcomes of the last WINDOW attempts, true = failure */
  recent: boolean[]
  lastOutcome?: { at: number, outcome: AttemptEnd, jobId: string, reason: string }
  lastClaim?: ClaimInfo & { at: number }
  lastRefusal?: { at: number, reason: string }
}

const WINDOW = 20

export class WorkerHealth {
  private readonly workers = new Map<string, WorkerRecord>()

  get (peer: string): WorkerRecord | undefined { return this.workers.get(peer) }
  all (): WorkerRecord[] { return [...this.workers.values()] }

  claimed (peer: string, claim: ClaimInfo, now = Date.now()): void {
    this.of(peer).lastClaim = { ...claim, executors: [...claim.executors], at: now }
  }

  refused (peer: string, reason: string, now = Date.now()): void {
    this.of(peer).lastRefusal = { at: now, reason }
  }

  assigned (peer: string): void { this.of(peer).assigned++ }

  /** Records how an attempt ended; returns the worker's run of consecutive failures. */
  ended (peer: string, jobId: string, outcome: AttemptEnd, reason: string, now = Date.now()): number {
    const w = this.of(peer)
    const failed = outcome !== 'succeeded'
    if (outcome === 'succeeded') w.succeeded++
    else if (outcome === 'failed') w.failed++
    else w.leaseExpired++
    w.consecutiveFailures = failed ? w.consecutiveFailures + 1 : 0
    w.recent.push(failed)
    if (w.recent.length > WINDOW) w.recent.shift()
    w.lastOutcome = { at: now, outcome, jobId, reason }
    return w.consecutiveFailures
  }

  /** Failures among the last attempts (0..1); undefined before the first attempt ends. */
  failureRate (peer: string): number | undefined {
    const r = this.workers.get(peer)?.recent
    if (r == null || r.length === 0) return undefined
    return r.filter(Boolean).length / r.length
  }

  /** A fresh start after quarantine: the old run of failures was what got it quarantined. */
  reset (peer: string): void {
    const w = this.workers.get(peer)
    if (w != null) w.consecutiveFailures = 0
  }

  private of (peer: string): WorkerRecord {
    let w = this.workers.get(peer)
    if (w == null) {
      w = { peer, assigned: 0, succeeded: 0, failed: 0, leaseExpired: 0, consecutiveFailures: 0, recent: [] }
      this.workers.set(peer, w)
    }
    return w
  }
}
