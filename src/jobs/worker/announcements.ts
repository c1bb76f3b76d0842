// The jobs topic as a worker hears it: an announcement from a granted coordinator, for an executor
// we offer and with us among its bidders, is answered with a claim while a slot is free.
import type { Message as GossipMessage } from '@libp2p/gossipsub'
import { jobsTopic } from '../../wire/domains.js'
import { SignedEnvelope, SignedPayload } from '../../wire/pb/envelope.js'
import { JobAnnouncement } from '../../wire/pb/jobs.js'
import { gossipTopic, type GossipTopic } from '../../mesh/gossip-topic.js'
import { announcementValidator } from '../announcement-validator.js'
import { isSelectedBidder } from '../bidders.js'
import type { WorkerContext } from './context.js'
import type { Claims } from './claims.js'

export class Announcements {
  private readonly topic: GossipTopic

  constructor (private readonly ctx: WorkerContext, private readonly claims: Claims) {
    const { init } = ctx
    this.topic = gossipTopic(ctx.components.pubsub, {
      topic: jobsTopic(init.meshId),
      validate: announcementValidator(init.meshId, { admission: init.admission, authority: init.authority, guard: () => ctx.rpc.guard, mayCharge: p => init.authority?.mayCharge?.(p, ctx.self) ?? true }),
      onMessage: msg => { void this.handle(msg) }
    })
  }

  join (): void { this.topic.join() }

  leave (): void { this.topic.leave() }

  private async handle (msg: GossipMessage): Promise<void> {
    const ctx = this.ctx
    if (msg.type !== 'signed') return
    if (ctx.abort.signal.aborted || ctx.draining) return
    let ann: JobAnnouncement
    try {
      // the topic validator already checked the signature; decode only
      const env = SignedEnvelope.decode(msg.data)
      ann = JobAnnouncement.decode(SignedPayload.decode(env.payload).body)
    } catch {
      return
    }
    // the validator let only granted coordinators' announcements through; the grant may have gone since
    if (!ctx.granted(msg.from.toString())) return
    ctx.coordinators.add(msg.from.toString())
    ctx.init.events.emit('work:heard', { jobId: ann.jobId, coordinator: msg.from.toString() })
    if (!ctx.offered.includes(ann.executor) || ctx.freeSlots <= 0) return
    if (!isSelectedBidder(ann.jobId, ann.round, ctx.self, ann.bidderFractionPpm)) return
    const got = await this.claims.claimOnce(msg.from, ann.jobId)
    // more queued behind it: fill the other free slots now rather than wait for more gossip
    if (got.assigned && got.queueDepth > 0) await this.claims.fill(msg.from)
    else this.claims.park()
  }
}
