// Claims → assignments: a verified claim is given the preferred queued job or another that fits,
// as a signed Assignment with a lease; a claim on a session may wait for work to arrive.
import { randomBytes } from 'node:crypto'
import type { PeerId } from '@libp2p/interface'
import type { RpcContext } from '../../rpc/reqresp.js'
import { Domains } from '../../wire/domains.js'
import { verifyEnvelope, toHex, sha256 } from '../../wire/signed.js'
import type { SignedEnvelope } from '../../wire/pb/envelope.js'
import { Assignment, ClaimRequest, ClaimResponse } from '../../wire/pb/jobs.js'
import { storeEnvelope, loadEnvelope } from '../envelopes.js'
import type { JobRecord } from '../types.js'
import type { CoordinatorContext } from './context.js'
import { decode } from './decode.js'

/** longest a claim waits for work on a session before it is answered "no work" */
const MAX_CLAIM_WAIT_MS = 30_000

export interface ServedClaim {
  assignment?: SignedEnvelope
  queueDepth: number
}

export class Dispatcher {
  constructor (private readonly ctx: CoordinatorContext) {}

  async handleClaim (req: SignedEnvelope, rpc: RpcContext): Promise<Uint8Array> {
    const ctx = this.ctx
    const remote = rpc.remotePeer
    const v = await verifyEnvelope(req, { domain: Domains.claim, meshId: ctx.init.meshId, expectedSigner: remote, replay: ctx.replay })
    const claim = decode(ClaimRequest, v.payload.body, 'claim request')
    // a claim on a session may wait for work (the worker can withdraw it there); never past the
    // exchange's own deadline, nor past the claim envelope's expiry
    const waitUntil = rpc.session && claim.waitMs > 0
      ? Math.min(Date.now() + Math.min(claim.waitMs, MAX_CLAIM_WAIT_MS), rpc.deadline - 500, Number(v.payload.expiresAtMs) - 500)
      : 0
    const { assignment, queueDepth } = await this.serveClaim(claim, remote, waitUntil, rpc.signal)
    return ClaimResponse.encode(assignment != null
      ? { status: ClaimResponse.Status.ASSIGNED, assignment, queueDepth }
      : { status: ClaimResponse.Status.NO_WORK, queueDepth })
  }

  /**
   * A verified claim (on its own, or riding on a result): an assignment of the first queued job it
   * fits, or none once `waitUntil` (epoch ms; 0 = answer at once) passes.
   */
  async serveClaim (claim: ClaimRequest, remote: PeerId, waitUntil: number, signal: AbortSignal): Promise<ServedClaim> {
    const ctx = this.ctx
    const { admission, dispatch } = ctx.init
    const worker = remote.toString()
    ctx.checkGranted()
    // only active, non-blacklisted nodes are given work
    admission?.checkAssignable(worker)
    ctx.workerPeers.add(worker)
    // a waiting claim is offered only jobs it could take now (not paused, not refused by operator state)
    const mayTake = (): boolean => !ctx.paused && dispatch?.refuses(worker) !== true && this.pickJob(claim, worker) != null
    for (let pass = 0; ; pass++) {
      // admission, and our own grant, may have changed while the claim waited
      if (pass > 0) { ctx.checkGranted(); admission?.checkAssignable(worker) }
      const refused = ctx.paused || (pass === 0
        ? dispatch?.admit(worker, { jobId: claim.jobId, executors: claim.executors, freeSlots: claim.freeSlots, memoryMb: claim.capacity?.memoryMb ?? 0 }) != null
        : dispatch?.refuses(worker) === true)
      const rec = refused ? undefined : this.pickJob(claim, worker)
      if (rec != null) {
        const undo = dispatch?.reserve(worker)
        let env: SignedEnvelope | undefined
        try { env = await this.assign(rec, claim, remote) } finally { if (env == null) undo?.() }
        if (env != null) return { assignment: env, queueDepth: ctx.queued.size }
        continue
      }
      if (Date.now() >= waitUntil || signal.aborted || !ctx.started) break
      ctx.spare.add(worker)
      await ctx.parked.wait(mayTake, waitUntil, signal)
    }
    ctx.spare.add(worker)
    return { queueDepth: ctx.queued.size }
  }

  /** Signs an assignment of `rec` for this claim and records it; undefined when another claim took it first. */
  private async assign (rec: JobRecord, claim: ClaimRequest, remote: PeerId): Promise<SignedEnvelope | undefined> {
    const ctx = this.ctx
    const now = Date.now()
    const previous = rec.state
    const attempt = rec.attempt + 1
    const expiresAt = now + ctx.leaseMs
    const assignment = Assignment.encode({
      jobId: rec.id,
      worker: remote.toString(),
      attempt,
      leaseExpiresAtMs: BigInt(expiresAt),
      nonce: randomBytes(16),
      claimNonce: claim.claimNonce,
      job: loadEnvelope(rec.spec)
    })
    // sign before touching state: a failure here leaves the job queued
    const env = await ctx.init.signer.sign(Domains.assignment, assignment, ctx.leaseMs)
    // lost a race with another claim while signing
    if (rec.state !== 'queued' || !ctx.queued.has(rec.id)) return undefined
    ctx.queued.delete(rec.id)
    ctx.lastPullAt = now
    // a worker that asked with slots to spare and emptied the queue is idle capacity
    if (claim.freeSlots > 1 && ctx.queued.size === 0) ctx.spare.add(remote.toString())
    else ctx.spare.delete(remote.toString())
    rec.state = 'assigned'
    rec.attempt = attempt
    rec.lease = { worker: remote.toString(), attempt, expiresAt, assignmentDigest: toHex(sha256(env.payload)), assignment: storeEnvelope(env) }
    rec.attempts.push({ attempt, worker: remote.toString(), assignedAt: now, outcome: 'running' })
    ctx.enter(rec, 'assigned', now)
    await ctx.store.put(rec, previous)
    ctx.init.events.emit('job:assigned', { jobId: rec.id, worker: remote.toString(), attempt })
    return env
  }

  private pickJob (claim: ClaimRequest, worker: string): JobRecord | undefined {
    const ctx = this.ctx
    const now = Date.now()
    const fits = (rec: JobRecord | undefined): rec is JobRecord =>
      rec != null && rec.state === 'queued' && rec.notBefore <= now && claim.executors.includes(rec.executor) &&
      (claim.capacity == null || claim.capacity.memoryMb === 0 || rec.memoryMb <= claim.capacity.memoryMb) &&
      ctx.init.dispatch?.allows(worker, rec) !== false
    if (claim.jobId !== '') {
      const preferred = ctx.store.live.get(claim.jobId)
      if (fits(preferred)) return preferred
    }
    for (const id of ctx.queued) {
      const rec = ctx.store.live.get(id)
      if (fits(rec)) return rec
    }
    return undefined
  }
}
