// Leases: an assignment lives while its worker renews it. Renewals (the first marks the job
// running), expiry (the attempt ends and the job is retried or failed), and revocation by operators.
import type { PeerId } from '@libp2p/interface'
import { Domains } from '../../wire/domains.js'
import { verifyEnvelope, toHex } from '../../wire/signed.js'
import type { SignedEnvelope } from '../../wire/pb/envelope.js'
import { LeaseRenewal, LeaseResponse } from '../../wire/pb/jobs.js'
import { JobNotFoundError, NotAssigneeError, StaleAttemptError } from '../../errors/index.js'
import type { JobRecord, JobState } from '../types.js'
import type { CoordinatorContext } from './context.js'
import type { Cancellation } from './cancel.js'
import { decode } from './decode.js'

type Lease = NonNullable<JobRecord['lease']>

export class Leases {
  constructor (private readonly ctx: CoordinatorContext, private readonly cancellation: Cancellation) {}

  /** The live job whose current attempt `signer` holds with this assignment, and that lease; a typed error otherwise. */
  liveLease (jobId: string, signer: PeerId, attempt: number, digest: Uint8Array): { rec: JobRecord, lease: Lease } {
    const rec = this.ctx.store.live.get(jobId)
    if (rec == null) throw new JobNotFoundError(`job ${jobId} is not live here`)
    const lease = rec.lease
    if (lease == null) throw new StaleAttemptError(`job ${jobId} has no live attempt`)
    if (lease.worker !== signer.toString()) throw new NotAssigneeError(`job ${jobId} attempt ${lease.attempt} is assigned to another worker`)
    if (lease.attempt !== attempt || lease.assignmentDigest !== toHex(digest)) {
      throw new StaleAttemptError(`job ${jobId}: attempt ${attempt} is not the live attempt (${lease.attempt})`)
    }
    return { rec, lease }
  }

  async handleLease (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const ctx = this.ctx
    const v = await verifyEnvelope(req, { domain: Domains.lease, meshId: ctx.init.meshId, expectedSigner: remote, replay: ctx.replay })
    const renewal = decode(LeaseRenewal, v.payload.body, 'lease renewal')
    const rec = await ctx.store.get(renewal.jobId)
    if (rec?.state === 'cancelled') return LeaseResponse.encode({ status: LeaseResponse.Status.CANCELLED, leaseExpiresAtMs: 0n })
    // rejected or blacklisted since it was assigned: it loses the lease (the job requeues on expiry)
    try { ctx.init.admission?.checkAssignable(remote.toString()) } catch { return LeaseResponse.encode({ status: LeaseResponse.Status.LOST, leaseExpiresAtMs: 0n }) }
    let held: { rec: JobRecord, lease: Lease }
    try {
      held = this.liveLease(renewal.jobId, remote, renewal.attempt, renewal.assignmentDigest)
    } catch (err) {
      if (['StaleAttemptError', 'JobNotFoundError', 'NotAssigneeError'].includes((err as Error).name)) {
        return LeaseResponse.encode({ status: LeaseResponse.Status.LOST, leaseExpiresAtMs: 0n })
      }
      throw err
    }
    const { rec: live, lease } = held
    const now = Date.now()
    lease.expiresAt = now + ctx.leaseMs
    const previous = live.state
    if (renewal.running && live.state === 'assigned') {
      ctx.enter(live, 'running', now)
      const a = live.attempts[live.attempts.length - 1]
      if (a != null) a.startedAt = now
      ctx.init.events.emit('job:started', { jobId: live.id, worker: remote.toString(), attempt: lease.attempt })
    }
    await ctx.store.put(live, previous)
    return LeaseResponse.encode({ status: LeaseResponse.Status.OK, leaseExpiresAtMs: BigInt(lease.expiresAt) })
  }

  /** Ends every attempt whose lease ran out by `now`: the job is retried or failed. */
  async expire (now: number): Promise<void> {
    const ctx = this.ctx
    const changes: Array<{ rec: JobRecord, previous: JobState }> = []
    for (const rec of ctx.store.live.values()) {
      if ((rec.state === 'assigned' || rec.state === 'running') && rec.lease != null && rec.lease.expiresAt <= now) {
        const previous = rec.state
        const a = rec.attempts[rec.attempts.length - 1]
        if (a != null) { a.outcome = 'lease-expired'; a.endedAt = now; a.reason = `lease expired (worker ${rec.lease.worker} silent)` }
        ctx.retryOrFail(rec, `attempt ${rec.attempt}: lease expired on ${rec.lease.worker}`, now)
        changes.push({ rec, previous })
      }
    }
    if (changes.length === 0) return
    await ctx.store.putMany(changes)
    for (const c of changes) {
      ctx.init.events.emit('lease:expired', { jobId: c.rec.id, attempt: c.rec.attempt })
      ctx.afterTransition(c.rec)
    }
  }

  /**
   * Ends a job's live attempt as failed (an isolated worker, a job stuck past its timeout): the job
   * is retried like any failed attempt, and the worker is told to stop. Returns false when the
   * attempt is no longer live.
   */
  async revokeAttempt (jobId: string, attempt: number, reason: string): Promise<boolean> {
    const ctx = this.ctx
    const rec = ctx.store.live.get(jobId)
    if (rec?.lease == null || rec.lease.attempt !== attempt) return false
    const now = Date.now()
    const previous = rec.state
    const lease = rec.lease
    const a = rec.attempts[rec.attempts.length - 1]
    if (a != null) { a.outcome = 'failed'; a.endedAt = now; a.reason = reason }
    ctx.retryOrFail(rec, `attempt ${attempt} revoked on ${lease.worker}: ${reason}`, now)
    await ctx.store.put(rec, previous)
    ctx.afterTransition(rec)
    void this.cancellation.notifyWorker(rec.id, lease.worker, lease.attempt)
    return true
  }
}
