// Results: accepted only from the live assignee of that attempt, stored and settled as one group
// before the ack, which may carry the worker's next assignment (its result claimed the freed slot).
import type { PeerId } from '@libp2p/interface'
import { Domains } from '../../wire/domains.js'
import { verifyEnvelope, toHex, sha256, bytesEqual } from '../../wire/signed.js'
import type { SignedEnvelope } from '../../wire/pb/envelope.js'
import { JobResult, ResultAck } from '../../wire/pb/jobs.js'
import { MalformedMessageError } from '../../errors/index.js'
import { storeEnvelope } from '../envelopes.js'
import { toJobStatus } from '../status.js'
import type { CoordinatorContext } from './context.js'
import type { Dispatcher } from './dispatch.js'
import type { Leases } from './leases.js'
import { decode } from './decode.js'

export class Results {
  constructor (private readonly ctx: CoordinatorContext, private readonly leases: Leases, private readonly dispatcher: Dispatcher) {}

  async handleResult (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const ctx = this.ctx
    const v = await verifyEnvelope(req, { domain: Domains.result, meshId: ctx.init.meshId, expectedSigner: remote })
    // a result is stored only when it can be settled with it: the worker retries it later
    ctx.init.ledger?.assertAppendable()
    const result = decode(JobResult, v.payload.body, 'job result')
    // a node rejected or blacklisted since its assignment is not paid for what it sends
    ctx.init.admission?.checkAssignable(remote.toString())
    const existing = await ctx.store.get(result.jobId)
    if (existing?.result != null && existing.result.digest === toHex(v.digest)) {
      // a retry after a lost ack: make sure it is paid (exactly once), then say so
      await ctx.together(async () => await ctx.init.ledger?.settle(existing))
      ctx.finishing.delete(existing.id)
      return ResultAck.encode({ status: ResultAck.Status.DUPLICATE, moreWork: ctx.moreWorkFor(remote) })
    }
    const { rec, lease } = this.leases.liveLease(result.jobId, remote, result.attempt, result.assignmentDigest)
    if (!bytesEqual(sha256(result.output), result.outputDigest)) {
      throw new MalformedMessageError('output_digest does not match output')
    }
    // readers see the job as it was until its result and its settlement are both durable: a
    // client that reads the ledger right after status turns terminal finds the charge there
    ctx.finishing.set(rec.id, toJobStatus(rec, false))
    const now = Date.now()
    const previous = rec.state
    const attemptInfo = rec.attempts[rec.attempts.length - 1]
    rec.lease = undefined
    rec.result = {
      envelope: storeEnvelope(req),
      assignmentDigest: lease.assignmentDigest,
      assignment: lease.assignment,
      digest: toHex(v.digest),
      exitCode: result.exitCode,
      outputDigest: toHex(result.outputDigest),
      error: result.error === '' ? undefined : result.error,
      worker: remote.toString(),
      attempt: lease.attempt
    }
    if (rec.state === 'assigned') {
      // a job that finished before its first lease renewal: it ran all the same
      ctx.enter(rec, 'running', now)
      ctx.init.events.emit('job:started', { jobId: rec.id, worker: remote.toString(), attempt: lease.attempt })
    }
    if (attemptInfo != null) {
      attemptInfo.endedAt = now
      attemptInfo.startedAt ??= now
    }
    if (result.error !== '') {
      // the executor could not produce a result: the attempt failed, the job may be retried
      if (attemptInfo != null) { attemptInfo.outcome = 'failed'; attemptInfo.reason = `${result.error}: ${result.errorMessage}` }
      ctx.retryOrFail(rec, `attempt ${lease.attempt} failed on ${remote.toString()}: ${result.error}: ${result.errorMessage}`, now)
    } else if (result.exitCode === 0) {
      if (attemptInfo != null) attemptInfo.outcome = 'succeeded'
      rec.reason = ''
      ctx.enter(rec, 'succeeded', now)
    } else {
      // a program that ran and exited non-zero is a result: running it again would not change it
      if (attemptInfo != null) { attemptInfo.outcome = 'failed'; attemptInfo.reason = `exit status ${result.exitCode}` }
      rec.reason = `exit status ${result.exitCode}`
      ctx.enter(rec, 'failed', now)
    }
    await ctx.together(async () => {
      await ctx.store.put(rec, previous)
      // the job's state is durable; pay for it before acking so an ack means "in the log"
      await ctx.init.ledger?.settle(rec)
    })
    ctx.finishing.delete(rec.id)
    ctx.afterTransition(rec)
    // the claim for the slot this result frees, signed with it: the next job rides on the ack
    const next = result.nextClaim != null ? await this.dispatcher.serveClaim(result.nextClaim, remote, 0, ctx.abort.signal).catch(() => undefined) : undefined
    if (next?.assignment != null) return ResultAck.encode({ status: ResultAck.Status.ACCEPTED, moreWork: next.queueDepth > 0, assignment: next.assignment, queueDepth: next.queueDepth })
    return ResultAck.encode({ status: ResultAck.Status.ACCEPTED, moreWork: ctx.moreWorkFor(remote), queueDepth: ctx.queued.size })
  }
}
