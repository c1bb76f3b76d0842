// What libp2p hands the job services: both the coordinator and the worker dial, serve, gossip and
// look coordinators up in the DHT.
import type { MeshServiceComponents } from '../mesh/service-components.js'
import type { ContentRouting } from '@libp2p/interface'

export interface JobServiceComponents extends MeshServiceComponents {
  contentRouting: ContentRouting
}
