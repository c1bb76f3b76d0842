// What libp2p hands every service of the mesh: its identity, the registrar it serves protocols on,
// connections, the peer store, logging, optional metrics, and gossipsub. Each service's own
// Components type adds what only it needs.
import type { PeerId, ComponentLogger, Metrics, PeerStore } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { GossipSub } from '@libp2p/gossipsub'

export interface MeshServiceComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  peerStore: PeerStore
  logger: ComponentLogger
  metrics?: Metrics
  pubsub: GossipSub
}
