// Keeping an assignment's lease alive while its job runs: renewed at a third of its length; a
// CANCELLED or LOST answer, or a lease that lapsed, aborts the run.
import { Protocols, Domains } from '../../wire/domains.js'
import { LeaseRenewal, LeaseResponse } from '../../wire/pb/jobs.js'
import { ExecutionAbortedError } from '../../errors/index.js'
import type { WorkerContext } from './context.js'
import type { AcceptedAssignment } from './assignment.js'

/** delay before the first lease renewal */
const FIRST_RENEWAL_MS = 100

export interface LeaseKeeper {
  stop: () => void
}

export function keepLease (ctx: WorkerContext, acc: AcceptedAssignment, abort: AbortController): LeaseKeeper {
  const { assignment: a, coordinator } = acc
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let expiresAt = Number(a.leaseExpiresAtMs)
  const leaseMs = Math.max(500, expiresAt - Date.now())
  const renew = async (): Promise<void> => {
    if (stopped) return
    try {
      const body = LeaseRenewal.encode({ jobId: a.jobId, attempt: a.attempt, assignmentDigest: acc.digest, running: true })
      const env = await ctx.init.signer.sign(Domains.lease, body, 30_000)
      const res = LeaseResponse.decode(await ctx.calls.call(coordinator, Protocols.lease, env, { signal: ctx.abort.signal, timeoutMs: Math.max(1_000, Math.floor(leaseMs / 2)) }))
      if (res.status === LeaseResponse.Status.CANCELLED) { abort.abort(new ExecutionAbortedError('job cancelled')); return }
      if (res.status === LeaseResponse.Status.LOST) { abort.abort(new ExecutionAbortedError('lease lost')); return }
      expiresAt = Number(res.leaseExpiresAtMs)
    } catch (err) {
      ctx.log('lease renewal for %s failed: %s', a.jobId, (err as Error).message)
      // past our own lease the coordinator will requeue: stop wasting work
      if (Date.now() > expiresAt) { abort.abort(new ExecutionAbortedError('lease lapsed')); return }
    }
    if (!stopped) {
      timer = setTimeout(() => { void renew() }, Math.max(100, Math.floor(leaseMs / 3)))
      timer.unref?.()
    }
  }
  // the first renewal (which marks the job running) waits a moment: a short job's result gets
  // there first and says the same, saving a stream, a signature and a store write per job
  timer = setTimeout(() => { void renew() }, Math.min(FIRST_RENEWAL_MS, Math.floor(leaseMs / 3)))
  timer.unref?.()
  return { stop: () => { stopped = true; if (timer != null) clearTimeout(timer) } }
}
