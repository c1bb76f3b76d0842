// Ending a job for its owner, and telling the worker running an attempt to stop (a cancel, a
// revoked attempt). The worker also learns it on its next lease renewal.
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { rpcCall } from '../../rpc/reqresp.js'
import { Protocols, Domains } from '../../wire/domains.js'
import { CancelNotice } from '../../wire/pb/jobs.js'
import { InvalidStateError, JobNotFoundError, NotSubmitterError } from '../../errors/index.js'
import { TERMINAL_STATES, type JobRecord } from '../types.js'
import type { CoordinatorContext } from './context.js'

export class Cancellation {
  constructor (private readonly ctx: CoordinatorContext) {}

  async cancel (jobId: string, requester?: PeerId): Promise<JobRecord> {
    const ctx = this.ctx
    const rec = await ctx.store.get(jobId)
    if (rec == null) throw new JobNotFoundError(`no job ${jobId}`)
    if (requester != null && rec.owner !== requester.toString()) throw new NotSubmitterError('only the job owner may cancel it')
    if (rec.state === 'cancelled') return rec
    if (TERMINAL_STATES.has(rec.state)) throw new InvalidStateError(`job ${jobId} already ${rec.state}`)
    const now = Date.now()
    const previous = rec.state
    const lease = rec.lease
    const a = rec.attempts[rec.attempts.length - 1]
    if (lease != null && a != null && a.outcome === 'running') { a.outcome = 'cancelled'; a.endedAt = now }
    rec.lease = undefined
    rec.reason = 'cancelled by owner'
    ctx.queued.delete(rec.id)
    ctx.enter(rec, 'cancelled', now)
    await ctx.store.put(rec, previous)
    ctx.afterTransition(rec)
    if (lease != null) void this.notifyWorker(rec.id, lease.worker, lease.attempt)
    return rec
  }

  /** Tells a worker to stop an attempt; best effort (the next lease renewal says the same). */
  async notifyWorker (jobId: string, worker: string, attempt: number): Promise<void> {
    const ctx = this.ctx
    try {
      const env = await ctx.init.signer.sign(Domains.cancelNotice, CancelNotice.encode({ jobId, attempt }), 30_000)
      await rpcCall(ctx.components.connectionManager, peerIdFromString(worker), Protocols.cancel, env, { signal: ctx.abort.signal })
    } catch (err) {
      ctx.log('cancel notice to %s failed: %s', worker, (err as Error).message)
    }
  }
}
