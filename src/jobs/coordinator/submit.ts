// Accepting a job: the mesh's submit policy (admission, allowed executors, modules and commands),
// the price held before it is queued, the durable record, and how its workers hear of it.
import type { SignedEnvelope } from '../../wire/pb/envelope.js'
import { toHex, sha256 } from '../../wire/signed.js'
import { NotAdmittedError } from '../../errors/index.js'
import { InvalidJobSpecError } from '../../errors/index.js'
import { verifyJobSpec, type VerifiedJobSpec } from '../job-spec.js'
import { storeEnvelope } from '../envelopes.js'
import type { JobRecord } from '../types.js'
import type { CoordinatorContext } from './context.js'
import type { Announcer } from './announce.js'

/**
 * New jobs within this long of the last announcement ride on it: the workers it woke claim until
 * the queue is empty (announcing each job of a burst was a gossip storm that starved the workers)
 */
const ANNOUNCE_COALESCE_MS = 20

export class Submissions {
  constructor (private readonly ctx: CoordinatorContext, private readonly announcer: Announcer) {}

  /** Accepts a signed job spec; returns the job id. Idempotent for the same envelope. */
  async submit (env: SignedEnvelope): Promise<string> {
    const ctx = this.ctx
    ctx.checkGranted()
    const v = await verifyJobSpec(env, ctx.init.meshId)
    this.checkPolicy(v)
    const self = ctx.self
    const existing = await ctx.store.get(v.id)
    if (existing != null) return v.id
    // priced and paid for before it is queued: a job the owner cannot pay for is refused here
    const price = await ctx.init.ledger?.reserve(v.id, v.owner.toString(), v.spec.executor, v.spec.offeredPrice, ctx.queued.size, ctx.knownWorkerCount())
    const now = Date.now()
    const rec: JobRecord = {
      id: v.id,
      seq: ctx.store.allocateSeq(),
      state: 'queued',
      owner: v.owner.toString(),
      coordinator: self,
      executor: v.spec.executor,
      label: v.spec.label,
      spec: storeEnvelope(env),
      timeoutMs: v.spec.timeoutMs,
      maxAttempts: v.spec.maxAttempts,
      offeredPrice: v.spec.offeredPrice.toString(),
      ...(price != null ? { price: price.toString() } : {}),
      cpuMillis: v.spec.resources?.cpuMillis ?? 0,
      memoryMb: v.spec.resources?.memoryMb ?? 0,
      attempt: 0,
      attempts: [],
      timestamps: [{ state: 'queued', at: now }],
      reason: '',
      createdAt: now,
      updatedAt: now,
      notBefore: 0,
      round: 0,
      lastAnnouncedAt: 0
    }
    try {
      await ctx.store.put(rec)
    } catch (err) {
      ctx.init.ledger?.release(rec.id)
      throw err
    }
    ctx.queued.add(rec.id)
    ctx.init.events.emit('job:queued', { jobId: rec.id, coordinator: self, executor: rec.executor })
    // a worker waiting on its session takes it at once: nothing to announce
    if (ctx.parked.offer(1) > 0) { rec.lastAnnouncedAt = now; return rec.id }
    // gossip only wakes idle workers: when every known worker is busy, the next result ack tells one
    // of them there is more work and it claims at once (re-announced by maintenance if nobody does)
    const idle = ctx.spare.size > 0 || ctx.workerPeers.size === 0
    if (idle && (ctx.queued.size === 1 || now - ctx.lastAnnounceAt >= ANNOUNCE_COALESCE_MS)) void this.announcer.announce(rec)
    else rec.lastAnnouncedAt = now
    return rec.id
  }

  /** The mesh's rules for what may be submitted, and by whom; refused before any pricing or write. */
  private checkPolicy (v: VerifiedJobSpec): void {
    const { init, self } = this.ctx
    if (init.admission?.isDenied(v.owner.toString()) === true) throw new NotAdmittedError('the submitting account is blacklisted')
    // only admitted accounts submit (token mode: enrolled and approved), refused before any pricing or grant
    init.admission?.checkSubmitter?.(v.owner.toString())
    const allowed = init.admission?.policy('allowedExecutors')
    if (Array.isArray(allowed) && !allowed.includes(v.spec.executor)) {
      throw new InvalidJobSpecError(`executor "${v.spec.executor}" is not allowed on this mesh (allowed: ${allowed.join(', ')})`)
    }
    // code sources: which wasm modules (by digest) and which commands a job may name
    const modules = init.admission?.policy('allowedModules')
    if (v.spec.executor === 'wasm' && Array.isArray(modules)) {
      const digest = toHex(sha256(v.spec.module))
      if (!modules.includes(digest)) throw new InvalidJobSpecError(`wasm module ${digest.slice(0, 16)}… is not on this mesh's allowed module list`)
    }
    const commands = init.admission?.policy('allowedCommands')
    if (v.spec.executor === 'process' && Array.isArray(commands) && !commands.includes(v.spec.args[0] ?? '')) {
      throw new InvalidJobSpecError(`command "${(v.spec.args[0] ?? '').slice(0, 80)}" is not on this mesh's allowed command list`)
    }
    if (v.spec.coordinator !== '' && v.spec.coordinator !== self) {
      throw new InvalidJobSpecError(`job addressed to coordinator ${v.spec.coordinator}, this is ${self}`)
    }
  }
}
