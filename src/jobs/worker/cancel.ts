// A coordinator's cancel notice: stops the attempt it assigned here (only that coordinator may).
import type { PeerId } from '@libp2p/interface'
import { Domains } from '../../wire/domains.js'
import { verifyEnvelope } from '../../wire/signed.js'
import type { SignedEnvelope } from '../../wire/pb/envelope.js'
import { CancelNotice } from '../../wire/pb/jobs.js'
import { ExecutionAbortedError, MalformedMessageError } from '../../errors/index.js'
import type { WorkerContext } from './context.js'

export async function handleCancel (ctx: WorkerContext, req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
  const v = await verifyEnvelope(req, { domain: Domains.cancelNotice, meshId: ctx.init.meshId, expectedSigner: remote, replay: ctx.replay })
  let n: CancelNotice
  try { n = CancelNotice.decode(v.payload.body) } catch (err) { throw new MalformedMessageError(`cancel notice does not decode: ${(err as Error).message}`) }
  const job = ctx.running.get(n.jobId)
  if (job != null && job.coordinator.equals(remote) && job.attempt === n.attempt) {
    job.abort.abort(new ExecutionAbortedError('job cancelled'))
  }
  return new Uint8Array(0)
}
