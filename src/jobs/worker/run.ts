// Running an accepted assignment: the executor with the spec's limits while the lease is kept,
// then a signed result bound to the assignment, delivered through brief coordinator outages. The
// result also claims the slot it frees (next_claim), so the ack can carry the next assignment.
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { PeerId } from '@libp2p/interface'
import { Protocols, Domains } from '../../wire/domains.js'
import { sha256, ownBytes, toHex } from '../../wire/signed.js'
import type { SignedEnvelope } from '../../wire/pb/envelope.js'
import { type Assignment, JobResult, ResultAck } from '../../wire/pb/jobs.js'
import type { ExecutionOutcome } from '../../executors/types.js'
import type { WorkerContext } from './context.js'
import type { AcceptedAssignment } from './assignment.js'
import { keepLease } from './lease.js'

/** refusals a retry cannot change: the result is dropped */
const FINAL_REFUSALS = new Set(['StaleAttemptError', 'NotAssigneeError', 'JobNotFoundError', 'MalformedMessageError', 'InvalidSignatureError', 'NotAdmittedError'])

export interface RunOutcome {
  ack: ResultAck
  /** the claim nonce the result's next_claim carried, when it did */
  claimNonce?: Uint8Array
}

/** Runs the job and reports it; undefined when there is nothing to report or it was refused. */
export async function runJob (ctx: WorkerContext, acc: AcceptedAssignment, abort: AbortController): Promise<RunOutcome | undefined> {
  const { init } = ctx
  const { assignment: a, spec, coordinator } = acc
  const signal = AbortSignal.any([abort.signal, ctx.abort.signal])
  const lease = keepLease(ctx, acc, abort)
  let outcome: ExecutionOutcome | undefined
  let error: Error | undefined
  const t0 = Date.now()
  try {
    const executor = init.executors.get(spec.executor)
    outcome = await executor.execute({
      jobId: a.jobId,
      input: spec.input,
      args: spec.args,
      module: spec.module.byteLength > 0 ? spec.module : undefined,
      delayMs: spec.delayMs,
      timeoutMs: spec.timeoutMs,
      maxOutputBytes: init.maxOutputBytes ?? 1024 * 1024,
      memoryLimitMb: Math.min(spec.resources?.memoryMb ?? 64, init.memoryLimitMb ?? 256) || 64,
      signal
    })
  } catch (err) {
    error = err instanceof Error ? err : new Error(String(err))
  } finally {
    lease.stop()
  }
  if (abort.signal.aborted || ctx.abort.signal.aborted) {
    // cancelled, lost or stopping: nothing to report (a lost attempt's result would be refused)
    init.events.emit('work:aborted', { jobId: a.jobId, attempt: a.attempt, reason: String((abort.signal.reason as Error | undefined)?.message ?? 'stopping') })
    return
  }
  const output = ownBytes(outcome?.output ?? new Uint8Array(0))
  // the slot this result frees is claimed in the same signed message (not while draining)
  const claimNonce = ctx.draining ? undefined : randomBytes(16)
  const result: JobResult = {
    jobId: a.jobId,
    attempt: a.attempt,
    assignmentDigest: acc.digest,
    output,
    exitCode: outcome?.exitCode ?? -1,
    outputDigest: sha256(output),
    resources: { wallMs: whole(outcome?.wallMs ?? Date.now() - t0), cpuMs: whole(outcome?.cpuMs ?? 0), maxRssKb: whole(outcome?.maxRssKb ?? 0) },
    error: error?.name ?? '',
    errorMessage: error?.message.slice(0, 1000) ?? '',
    stderr: ownBytes((outcome?.stderr ?? new Uint8Array(0)).slice(0, 64 * 1024)),
    ...(claimNonce != null ? { nextClaim: ctx.claimRequest(ctx.freeSlots + 1, claimNonce) } : {})
  }
  const env = await init.signer.sign(Domains.result, JobResult.encode(result), 10 * 60_000)
  init.events.emit('work:finished', { jobId: a.jobId, coordinator: coordinator.toString(), attempt: a.attempt, exitCode: result.exitCode, error: error?.name, wallMs: Date.now() - t0 })
  const ack = await sendResult(ctx, coordinator, env, a)
  if (ack == null) return undefined
  init.events.emit('work:acked', { jobId: a.jobId, coordinator: coordinator.toString(), attempt: a.attempt, resultDigest: toHex(sha256(env.payload)), assignmentDigest: toHex(acc.digest), payable: result.error === '' })
  return { ack, claimNonce }
}

/** Delivers a result, retrying through brief outages (a coordinator restart) until it is refused. */
async function sendResult (ctx: WorkerContext, coordinator: PeerId, env: SignedEnvelope, a: Assignment): Promise<ResultAck | undefined> {
  const { init } = ctx
  const signal = ctx.abort.signal
  let delay = 100
  for (let i = 0; i < 12 && !signal.aborted; i++) {
    // a coordinator whose grant went while the job ran gets nothing from us
    if (!ctx.granted(coordinator.toString())) {
      init.events.emit('work:refused', { jobId: a.jobId, coordinator: coordinator.toString(), attempt: a.attempt, error: 'NotGrantedCoordinatorError', reason: 'the coordinator lost its grant: result not sent' })
      return undefined
    }
    try {
      return ResultAck.decode(await ctx.calls.call(coordinator, Protocols.result, env, { signal }))
    } catch (err) {
      const e = err as Error
      if (FINAL_REFUSALS.has(e.name)) {
        ctx.log('result for %s refused: %s %s', a.jobId, e.name, e.message)
        init.events.emit('work:refused', { jobId: a.jobId, coordinator: coordinator.toString(), attempt: a.attempt, error: e.name, reason: e.message })
        return undefined
      }
      // a stopping worker waits no longer: the loop ends on the aborted signal
      await sleep(delay, undefined, { signal }).catch(() => {})
      delay = Math.min(delay * 2, 5_000)
    }
  }
  return undefined
}

/** An app's executor may report fractions or junk: the wire wants whole non-negative numbers. */
function whole (n: number): bigint {
  return Number.isFinite(n) && n > 0 ? BigInt(Math.round(n)) : 0n
}
