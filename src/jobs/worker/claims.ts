// Claims and the slots they fill: a claim per announcement we bid on, claims until a coordinator's
// queue is empty or our slots are full, and one claim left waiting for work while a slot is free.
// An assignment a claim (or a result ack) brings takes a slot until its job has run and reported.
import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { Protocols, Domains } from '../../wire/domains.js'
import type { SignedEnvelope } from '../../wire/pb/envelope.js'
import { ClaimRequest, ClaimResponse } from '../../wire/pb/jobs.js'
import type { RunningJob, WorkerContext, ParkedClaim } from './context.js'
import { acceptAssignment, type AcceptedAssignment } from './assignment.js'
import { runJob } from './run.js'

/** how long a claim waits for work at a coordinator (on the session stream) before it is renewed */
const PARKED_CLAIM_MS = 8_000

export interface ClaimOutcome {
  assigned: boolean
  /** jobs still queued at the coordinator */
  queueDepth: number
}

export class Claims {
  private parkBackoffMs = 0
  private parkTimer?: ReturnType<typeof setTimeout>

  constructor (private readonly ctx: WorkerContext) {}

  stop (): void {
    if (this.parkTimer != null) clearTimeout(this.parkTimer)
    this.parkTimer = undefined
    this.ctx.parked?.withdraw.abort()
  }

  /** Claims until the coordinator has no more work for us or our slots are full. */
  async fill (coordinator: PeerId): Promise<void> {
    const ctx = this.ctx
    while (ctx.freeSlots > 0 && !ctx.abort.signal.aborted && !ctx.draining) {
      // on a session the claim is a waiting one: answered at once while there is work, and when
      // other workers emptied the queue first it stays as our waiting claim instead of coming
      // back "no work" to be sent again (half a claim exchange per job with 50 workers)
      if (ctx.parked == null && this.parkTimer == null && ctx.calls.supports(coordinator)) { this.park(coordinator.toString()); return }
      // our claim already waits there: the coordinator hands it queued work first, so a second
      // claim would only race other workers for the same job
      if (ctx.parked?.coordinator === coordinator.toString()) return
      const got = await this.claimOnce(coordinator, '')
      // an empty queue after our assignment: asking again would only be told "no work"
      if (!got.assigned || got.queueDepth === 0) break
    }
    this.park()
  }

  /**
   * Leaves one claim waiting for work at a coordinator (the last one that gave us work) while a
   * slot is free, so a new job reaches us in one message instead of gossip and a claim. It holds
   * no slot while it waits: announcements from other coordinators are still answered, and the
   * claim is withdrawn when the last slot fills.
   */
  park (at?: string): void {
    const ctx = this.ctx
    if (ctx.parked != null || this.parkTimer != null || ctx.freeSlots <= 0 || ctx.draining || ctx.abort.signal.aborted) return
    const target = at ?? (ctx.lastWorkFrom != null && ctx.coordinators.has(ctx.lastWorkFrom) ? ctx.lastWorkFrom : ctx.coordinators.values().next().value)
    if (target == null) return
    const peer = peerIdFromString(target)
    if (!ctx.calls.supports(peer)) return
    const withdraw = new AbortController()
    const parked: ParkedClaim = { coordinator: target, withdraw, done: Promise.resolve() }
    ctx.parked = parked
    parked.done = this.waitForWork(peer, withdraw).finally(() => {
      if (ctx.parked === parked) ctx.parked = undefined
    })
  }

  private async waitForWork (peer: PeerId, withdraw: AbortController): Promise<void> {
    const ctx = this.ctx
    const t0 = Date.now()
    const got = await this.claimOnce(peer, '', { waitMs: PARKED_CLAIM_MS, withdraw: withdraw.signal })
    ctx.parked = undefined
    if (got.assigned) {
      this.parkBackoffMs = 0
      if (got.queueDepth > 0) await this.fill(peer)
      else this.park()
      return
    }
    if (withdraw.signal.aborted || ctx.abort.signal.aborted) return
    if (Date.now() - t0 >= PARKED_CLAIM_MS / 2) {
      this.parkBackoffMs = 0
      this.park()
      return
    }
    // answered early without work (paused, not admitted, the session broke): ask again later
    this.parkBackoffMs = Math.min(Math.max(250, this.parkBackoffMs * 2), PARKED_CLAIM_MS)
    this.parkTimer = setTimeout(() => { this.parkTimer = undefined; this.park() }, this.parkBackoffMs)
    this.parkTimer.unref?.()
  }

  /** One claim: whether it produced an assignment, and the jobs still queued there. */
  async claimOnce (coordinator: PeerId, jobId: string, wait?: { waitMs: number, withdraw: AbortSignal }): Promise<ClaimOutcome> {
    const ctx = this.ctx
    const none = { assigned: false, queueDepth: 0 }
    if (ctx.freeSlots <= 0 || !ctx.granted(coordinator.toString())) return none
    // a waiting claim holds no slot until it is answered with work
    let holds = wait == null
    if (holds) ctx.reserveSlot()
    let started = false
    try {
      const claimNonce = randomBytes(16)
      const body = ClaimRequest.encode(ctx.claimRequest(ctx.freeSlots + (holds ? 1 : 0), claimNonce, jobId, wait?.waitMs ?? 0))
      const env = await ctx.init.signer.sign(Domains.claim, body, 30_000)
      const resBytes = await ctx.calls.call(coordinator, Protocols.claim, env, { signal: ctx.abort.signal, timeoutMs: (wait?.waitMs ?? 0) + 10_000, withdraw: wait?.withdraw })
      const res = ClaimResponse.decode(resBytes)
      if (res.status !== ClaimResponse.Status.ASSIGNED || res.assignment == null) return none
      // a withdrawn claim answered with work all the same runs it (one over our slots, briefly):
      // refusing would leave the job to wait out its lease
      if (!holds) { ctx.reserved++; holds = true }
      ctx.lastWorkFrom = coordinator.toString()
      const accepted = await acceptAssignment(ctx, res.assignment, coordinator, claimNonce)
      started = true
      this.startJob(accepted)
      return { assigned: true, queueDepth: res.queueDepth }
    } catch (err) {
      const e = err as Error
      if (e.name === 'AssignmentRejectedError') {
        ctx.init.events.emit('work:rejected', { coordinator: coordinator.toString(), reason: e.message, error: e.name })
      } else if (!ctx.abort.signal.aborted) {
        ctx.log('claim from %p failed: %s %s', coordinator, e.name, e.message)
      }
      return none
    } finally {
      if (!started && holds) ctx.reserved--
    }
  }

  /** Runs an accepted assignment in the slot reserved for it, and claims again once it is free. */
  private startJob (acc: AcceptedAssignment): void {
    const ctx = this.ctx
    const abort = new AbortController()
    const job: RunningJob = { jobId: acc.assignment.jobId, coordinator: acc.coordinator, attempt: acc.assignment.attempt, abort, done: Promise.resolve() }
    ctx.running.set(job.jobId, job)
    ctx.init.events.emit('work:assigned', { jobId: job.jobId, coordinator: acc.coordinator.toString(), attempt: job.attempt, executor: acc.spec.executor })
    let moreWork = false
    job.done = runJob(ctx, acc, abort)
      .then(async done => {
        moreWork = done?.ack.moreWork === true
        // the next job came with the ack (the result carried our claim): it takes this slot
        if (done?.ack.assignment != null && done.claimNonce != null) await this.startChained(done.ack.assignment, acc.coordinator, done.claimNonce)
      }, err => { ctx.log.error('job %s: %s', job.jobId, (err as Error).message) })
      .finally(() => {
        ctx.running.delete(job.jobId)
        ctx.reserved--
        // the slot is free only now: ask for the next job at once (or wait for one)
        if (moreWork) void this.fill(acc.coordinator)
        else this.park()
      })
  }

  /** Starts the assignment a result ack carried, holding a slot of its own (as a claim would). */
  private async startChained (env: SignedEnvelope, coordinator: PeerId, claimNonce: Uint8Array): Promise<void> {
    const ctx = this.ctx
    ctx.reserveSlot()
    let started = false
    try {
      const accepted = await acceptAssignment(ctx, env, coordinator, claimNonce)
      ctx.lastWorkFrom = coordinator.toString()
      this.startJob(accepted)
      started = true
    } catch (err) {
      const e = err as Error
      // refused (not ours, expired, replayed): the job waits out its lease and goes to someone else
      ctx.init.events.emit('work:rejected', { coordinator: coordinator.toString(), reason: e.message, error: e.name })
    } finally {
      if (!started) ctx.reserved--
    }
  }
}
