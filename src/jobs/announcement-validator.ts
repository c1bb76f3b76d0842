// The gossip validator of the jobs topic, run by coordinators and workers alike.
import type { PeerId } from '@libp2p/interface'
import { TopicValidatorResult, type Message as GossipMessage } from '@libp2p/gossipsub'
import { Domains } from '../wire/domains.js'
import { verifyEnvelope } from '../wire/signed.js'
import { SignedEnvelope } from '../wire/pb/envelope.js'
import { JobAnnouncement } from '../wire/pb/jobs.js'
import type { AdmissionCheck } from '../admission/admission-state.js'
import type { PeerGuard } from '../rpc/peer-guard.js'
import type { CoordinatorAuthority } from './authority.js'

export interface AnnouncementChecks {
  admission?: Pick<AdmissionCheck, 'isDenied'>
  authority?: Pick<CoordinatorAuthority, 'isGranted'>
  /** charges a direct publisher that holds no grant */
  guard?: () => PeerGuard
  /** whether that charge applies to this publisher now (default: yes) */
  mayCharge?: (peer: string) => boolean
}

/**
 * Only well-formed, unexpired announcements signed by a granted coordinator. Gossipsub charges a
 * Reject to the relay, not the author, so what depends on this node's knowledge (grants, the
 * blacklist) is Ignore, and an ungranted author that handed us the message itself is charged in
 * the peer guard.
 */
export function announcementValidator (meshId: string, checks: AnnouncementChecks = {}) {
  return async (peer: PeerId, msg: GossipMessage): Promise<TopicValidatorResult> => {
    if (msg.type !== 'signed') return TopicValidatorResult.Reject
    // a blacklisted publisher's messages are dropped even when relayed by others; Ignore, not
    // Reject: the relay may not have learned of the blacklist yet and must not be penalised
    if (checks.admission?.isDenied(msg.from.toString()) === true) return TopicValidatorResult.Ignore
    if (checks.authority != null && !checks.authority.isGranted(msg.from.toString())) {
      if (peer.equals(msg.from) && (checks.mayCharge?.(peer.toString()) ?? true)) checks.guard?.().reject(peer, msg.topic, 'NotGrantedCoordinatorError')
      return TopicValidatorResult.Ignore
    }
    try {
      const env = SignedEnvelope.decode(msg.data)
      const v = await verifyEnvelope(env, { domain: Domains.announce, meshId, expectedSigner: msg.from })
      JobAnnouncement.decode(v.payload.body)
      return TopicValidatorResult.Accept
    } catch (err) {
      return (err as Error).name === 'MessageExpiredError' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
    }
  }
}
