// One deny check applied at every gate libp2p offers for a known peer: dialing it, and its
// connections in both directions once the peer id is known (after encryption) and once upgraded.
// Operator isolation uses it today; a blacklist can share the same predicate.
import type { ConnectionGater, PeerId } from '@libp2p/interface'

export type DenyPeer = (peer: PeerId) => boolean

export function denyPeerGater (deny: DenyPeer): ConnectionGater {
  return {
    denyDialPeer: (peer) => deny(peer),
    denyInboundEncryptedConnection: (peer) => deny(peer),
    denyOutboundEncryptedConnection: (peer) => deny(peer),
    denyInboundUpgradedConnection: (peer) => deny(peer),
    denyOutboundUpgradedConnection: (peer) => deny(peer)
  }
}
