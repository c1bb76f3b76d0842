// Everything a worker checks before it runs anything a coordinator assigned it.
import type { PeerId } from '@libp2p/interface'
import { Domains } from '../../wire/domains.js'
import { verifyEnvelope, bytesEqual } from '../../wire/signed.js'
import type { SignedEnvelope } from '../../wire/pb/envelope.js'
import { type JobSpec, Assignment } from '../../wire/pb/jobs.js'
import { AssignmentRejectedError, MalformedMessageError } from '../../errors/index.js'
import { verifyJobSpec } from '../job-spec.js'
import type { WorkerContext } from './context.js'

export interface AcceptedAssignment {
  assignment: Assignment
  digest: Uint8Array<ArrayBuffer>
  coordinator: PeerId
  spec: JobSpec
}

/**
 * The coordinator it asked signed it, for this mesh and domain, unexpired, never seen before,
 * naming this worker and answering this claim, and it carries the owner's valid signed spec whose
 * id is the job id. Any failure is an AssignmentRejectedError saying why.
 */
export async function acceptAssignment (ctx: WorkerContext, env: SignedEnvelope, coordinator: PeerId, claimNonce: Uint8Array): Promise<AcceptedAssignment> {
  try {
    if (!ctx.granted(coordinator.toString())) throw new AssignmentRejectedError(`${coordinator.toString()} is not a granted coordinator: ${ctx.init.authority?.standing(coordinator.toString()).why ?? ''}`)
    const v = await verifyEnvelope(env, { domain: Domains.assignment, meshId: ctx.init.meshId, expectedSigner: coordinator, replay: ctx.replay })
    let a: Assignment
    try { a = Assignment.decode(v.payload.body) } catch (err) { throw new MalformedMessageError(`assignment does not decode: ${(err as Error).message}`) }
    if (a.worker !== ctx.self) throw new AssignmentRejectedError(`assignment names worker ${a.worker}, not this worker`)
    if (!bytesEqual(a.claimNonce, claimNonce)) throw new AssignmentRejectedError('assignment does not answer this claim (claim nonce mismatch)')
    if (Number(a.leaseExpiresAtMs) <= Date.now()) throw new AssignmentRejectedError('assignment lease already expired')
    if (a.job == null) throw new AssignmentRejectedError('assignment carries no job spec')
    const spec = await verifyJobSpec(a.job, ctx.init.meshId)
    if (spec.id !== a.jobId) throw new AssignmentRejectedError('assignment job id does not match its signed spec')
    if (!ctx.offered.includes(spec.spec.executor)) throw new AssignmentRejectedError(`executor ${spec.spec.executor} is not offered here`)
    if (ctx.running.has(a.jobId)) throw new AssignmentRejectedError(`job ${a.jobId} is already running here`)
    return { assignment: a, digest: v.digest, coordinator, spec: spec.spec }
  } catch (err) {
    const e = err as Error
    throw e.name === 'AssignmentRejectedError' ? e : new AssignmentRejectedError(`${e.name}: ${e.message}`)
  }
}
