// Announcing queued jobs on the jobs topic: one signed announcement wakes as many idle workers as
// the queue can use; unclaimed jobs are announced again with a growing bidder fraction.
import { Domains, jobsTopic } from '../../wire/domains.js'
import { SignedEnvelope } from '../../wire/pb/envelope.js'
import { JobAnnouncement } from '../../wire/pb/jobs.js'
import { gossipTopic, type GossipTopic } from '../../mesh/gossip-topic.js'
import { announcementValidator } from '../announcement-validator.js'
import { bidderFractionPpm, fractionSelecting } from '../bidders.js'
import type { JobRecord } from '../types.js'
import type { CoordinatorContext } from './context.js'

const MAX_ANNOUNCE_ROUNDS = 8

export class Announcer {
  /** the jobs topic: we validate what others publish there, and publish our own announcements */
  private readonly topic: GossipTopic

  constructor (private readonly ctx: CoordinatorContext) {
    const { init, components } = ctx
    this.topic = gossipTopic(components.pubsub, {
      topic: jobsTopic(init.meshId),
      validate: announcementValidator(init.meshId, { admission: init.admission, authority: init.authority, guard: () => ctx.rpc.guard, mayCharge: p => init.authority?.mayCharge?.(p, ctx.self) ?? true })
    })
  }

  join (): void { this.topic.join() }

  leave (): void { this.topic.leave() }

  async announce (rec: JobRecord): Promise<void> {
    const ctx = this.ctx
    if (!ctx.started || !ctx.isGranted) return
    rec.lastAnnouncedAt = Date.now()
    ctx.lastAnnounceAt = rec.lastAnnouncedAt
    const workers = ctx.knownWorkerCount()
    const body = JobAnnouncement.encode({
      jobId: rec.id,
      executor: rec.executor,
      resources: { cpuMillis: rec.cpuMillis, memoryMb: rec.memoryMb },
      offeredPrice: BigInt(rec.offeredPrice),
      attempt: rec.attempt + 1,
      round: rec.round,
      bidderFractionPpm: this.fractionFor(rec, workers),
      queueDepth: ctx.queued.size
    })
    try {
      const env = await ctx.init.signer.sign(Domains.announce, body, 60_000)
      await this.topic.publish(SignedEnvelope.encode(env))
      ctx.init.events.emit('job:announced', { jobId: rec.id, coordinator: ctx.self, round: rec.round })
    } catch (err) {
      ctx.log('announce %s failed: %s', rec.id, (err as Error).message)
    }
  }

  /** Announces every queued job (after a restart, so idle workers hear of what survived it). */
  announceQueued (): void {
    for (const id of this.ctx.queued) {
      const rec = this.ctx.store.live.get(id)
      if (rec != null) void this.announce(rec)
    }
  }

  /**
   * One per tick, oldest due first: it carries the queue depth and wakes as many idle workers as
   * the queue can use; none while busy workers are pulling jobs and no worker is idle.
   */
  announceDue (now: number): void {
    const ctx = this.ctx
    let budget = ctx.spare.size > 0 || now - ctx.lastPullAt >= ctx.reannounceMs ? 1 : 0
    for (const id of ctx.queued) {
      if (budget <= 0) break
      const rec = ctx.store.live.get(id)
      if (rec == null || rec.notBefore > now) continue
      const due = rec.lastAnnouncedAt === 0 || (rec.round < MAX_ANNOUNCE_ROUNDS && now - rec.lastAnnouncedAt >= ctx.reannounceMs * 2 ** rec.round)
      if (!due) continue
      if (rec.lastAnnouncedAt !== 0) rec.round++
      budget--
      void this.announce(rec)
    }
  }

  /** Announces up to `limit` queued jobs again from round 0 (after a resume, or to unstick them). */
  reannounce (limit = Infinity, ids?: Iterable<string>): number {
    const ctx = this.ctx
    let n = 0
    // operator state may have changed what waiting claims can take (a release, a drain's end)
    ctx.offerDue = true
    for (const id of ids ?? ctx.queued) {
      if (n >= limit) break
      const rec = ctx.store.live.get(id)
      if (rec?.state !== 'queued') continue
      rec.round = 0
      rec.lastAnnouncedAt = 0
      n++
    }
    return n
  }

  /**
   * Bidders: about `targetBidders`, plus one per other queued job (a deep queue can use every idle
   * worker), chosen among the workers known to be idle when there are any, doubled per round.
   */
  private fractionFor (rec: JobRecord, workers: number): number {
    const ctx = this.ctx
    const want = ctx.targetBidders + Math.max(0, ctx.queued.size - 1)
    if (ctx.spare.size === 0) return bidderFractionPpm(want, workers, rec.round)
    if (want >= ctx.spare.size && ctx.spare.size >= workers) return 1_000_000
    return Math.min(1_000_000, fractionSelecting(rec.id, rec.round, ctx.spare, want) * 2 ** rec.round)
  }
}
