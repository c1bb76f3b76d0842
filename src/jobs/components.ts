// What libp2p hands the job services: both the coordinator and the worker dial, serve, gossip and
// look coordinators up in the DHT.
import type { PeerId, ComponentLogger, Metrics, PeerStore, ContentRouting } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { GossipSub } from '@libp2p/gossipsub'

export interface JobServiceComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  peerStore: PeerStore
  contentRouting: ContentRouting
  logger: ComponentLogger
  metrics?: Metrics
  pubsub: GossipSub
}
