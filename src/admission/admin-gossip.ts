// Admin and authority actions on their gossip topics: published once applied, validated and applied on receipt.
import { TopicValidatorResult, type Message as GossipMessage } from '@libp2p/gossipsub'
import { gossipTopic, type GossipTopic } from '../mesh/gossip-topic.js'
import { Domains, policyTopic, authorityTopic } from '../wire/domains.js'
import { verifyEnvelope, claimedSigner } from '../wire/signed.js'
import type { SignedEnvelope } from '../wire/pb/envelope.js'
import { AdminAction, AdminActionAnnouncement, AuthorityAction, AuthorityAnnouncement } from '../wire/pb/admission.js'
import { validateAction } from './action-rules.js'
import { envelopeDomain } from './audit-log.js'
import { validateAuthorityAction, AUTHORITY_KINDS } from './authority.js'
import type { AdmissionContext } from './admission-context.js'

export class AdminGossip {
  /** admin actions and authority actions each have a topic; both are applied the same way */
  private readonly policyTopic: GossipTopic
  private readonly authorityTopic: GossipTopic

  constructor (private readonly ctx: AdmissionContext) {
    const join = (topic: string): GossipTopic => gossipTopic(ctx.components.pubsub, {
      topic,
      validate: async (_peer, msg) => await this.validateAnnouncement(msg),
      onMessage: msg => { void this.handleAnnouncement(msg) }
    })
    this.policyTopic = join(policyTopic(ctx.init.meshId))
    this.authorityTopic = join(authorityTopic(ctx.init.meshId))
  }

  join (): void {
    this.policyTopic.join()
    this.authorityTopic.join()
  }

  leave (): void {
    this.policyTopic.leave()
    this.authorityTopic.leave()
  }

  /** Publishes an applied action so every node applies it too (an approval on enrollment, say). */
  async publish (envelope: SignedEnvelope): Promise<void> {
    try {
      if (envelopeDomain(envelope) === Domains.authority) await this.authorityTopic.publish(AuthorityAnnouncement.encode({ action: envelope }))
      else await this.policyTopic.publish(AdminActionAnnouncement.encode({ action: envelope }))
    } catch (err) {
      // no peer on the topic yet: others catch up over admin-sync when they meet us
      this.ctx.log('publishing admin action: %s', (err as Error).message)
    }
  }

  /**
   * Reject (which costs the forwarder score) only what no honest relay would pass on: frames that do
   * not decode, bad signatures, malformed actions. Authority is local (each node has its own admin
   * keys), and expiry depends on clocks: those are Ignore, never a penalty for the relay.
   */
  private async validateAnnouncement (msg: GossipMessage): Promise<TopicValidatorResult> {
    const { init } = this.ctx
    if (msg.type !== 'signed') return TopicValidatorResult.Reject
    const authority = msg.topic === authorityTopic(init.meshId)
    let env: SignedEnvelope
    try {
      env = (authority ? AuthorityAnnouncement.decode(msg.data).action : AdminActionAnnouncement.decode(msg.data).action) ?? { payload: new Uint8Array(), signature: new Uint8Array() }
      // authority first: a non-admin signer costs one decode, not a signature check
      const signer = claimedSigner(env)
      if (!init.state.isAdmin(signer)) return TopicValidatorResult.Ignore
    } catch {
      return TopicValidatorResult.Reject
    }
    try {
      const v = await verifyEnvelope(env, { domain: authority ? Domains.authority : Domains.adminAction, meshId: init.meshId })
      if (authority) {
        const a = AuthorityAction.decode(v.payload.body)
        // a kind from a later release is valid there: not ours to apply, and no fault of the relay
        if (!(AUTHORITY_KINDS as readonly string[]).includes(a.kind)) return TopicValidatorResult.Ignore
        validateAuthorityAction(a)
      }
      else validateAction(AdminAction.decode(v.payload.body))
    } catch (err) {
      const name = (err as Error).name
      // what a newer release may send validly (a domain version, a policy key, an operator action)
      // and what depends on clocks: not the relay's fault
      return ['MessageExpiredError', 'WrongMeshError', 'WrongDomainError', 'InvalidArgumentError'].includes(name) ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
    }
    return (await init.state.seen(env)) ? TopicValidatorResult.Ignore : TopicValidatorResult.Accept
  }

  private async handleAnnouncement (msg: GossipMessage): Promise<void> {
    try {
      const env = (msg.topic === policyTopic(this.ctx.init.meshId) ? AdminActionAnnouncement : AuthorityAnnouncement).decode(msg.data).action
      if (env == null) return
      const { record } = await this.ctx.init.state.applyAction(env)
      this.ctx.log('applied admin action %s %s from gossip', record.kind, record.target)
    } catch (err) {
      if ((err as Error).name !== 'DuplicateActionError') this.ctx.log('admin action from gossip not applied: %s', (err as Error).message)
    }
  }
}
