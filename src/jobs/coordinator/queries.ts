// What a job's owner reads: status, result and the job list, locally or over /edgecoder/job (where a
// cancel arrives too). Never a terminal state ahead of its durable settlement.
import type { PeerId } from '@libp2p/interface'
import { Domains } from '../../wire/domains.js'
import { verifyEnvelope } from '../../wire/signed.js'
import type { SignedEnvelope } from '../../wire/pb/envelope.js'
import { JobQuery, JobStatus } from '../../wire/pb/jobs.js'
import { JobNotFoundError, NotSubmitterError } from '../../errors/index.js'
import { toJobStatus } from '../status.js'
import type { JobRecord, JobState } from '../types.js'
import type { CoordinatorContext } from './context.js'
import type { Cancellation } from './cancel.js'
import { decode } from './decode.js'

export class Queries {
  constructor (private readonly ctx: CoordinatorContext, private readonly cancellation: Cancellation) {}

  async handleJobQuery (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const ctx = this.ctx
    const v = await verifyEnvelope(req, { domain: Domains.jobQuery, meshId: ctx.init.meshId, expectedSigner: remote, replay: ctx.replay })
    const q = decode(JobQuery, v.payload.body, 'job query')
    const rec = await ctx.store.get(q.jobId)
    if (rec == null) throw new JobNotFoundError(`no job ${q.jobId}`)
    if (rec.owner !== remote.toString()) throw new NotSubmitterError('only the job owner may query it')
    if (q.op === JobQuery.Op.CANCEL) return JobStatus.encode(toJobStatus(await this.cancellation.cancel(q.jobId, remote), false))
    return JobStatus.encode(this.shown(rec, q.op === JobQuery.Op.RESULT))
  }

  async status (jobId: string, withResult = false): Promise<JobStatus> {
    const rec = await this.ctx.store.get(jobId)
    if (rec == null) throw new JobNotFoundError(`no job ${jobId}`)
    return this.shown(rec, withResult)
  }

  /** Jobs as owners see them (a job whose settlement is not yet durable shows its previous state). */
  async list (opts: { state?: JobState, limit?: number } = {}): Promise<JobStatus[]> {
    const recs = await this.ctx.store.list({ limit: opts.state == null ? opts.limit : undefined })
    const shown = recs.map(r => this.shown(r, false)).filter(s => opts.state == null || s.state === opts.state)
    return shown.slice(-(opts.limit ?? 1000))
  }

  /** what a job's owner is shown: never a terminal state ahead of its durable settlement */
  private shown (rec: JobRecord, withResult: boolean): JobStatus {
    return this.ctx.finishing.get(rec.id) ?? toJobStatus(rec, withResult)
  }
}
