// Builds the libp2p node every role runs: TCP + WebRTC-direct, noise, yamux, identify, ping, a
// mesh-scoped kad-dht with private addresses kept (so it works on loopback and LANs), and gossipsub
// with StrictSign. Role services (coordinator, worker) are passed in by the caller.
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { webRTCDirect } from '@libp2p/webrtc'
import { noise } from '@chainsafe/libp2p-noise'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import type { MetricsRegister } from '@libp2p/gossipsub/metrics'
import type { PrivateKey, ServiceMap, ConnectionGater, Metrics, ComponentLogger, PeerId } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import type { Ping } from '@libp2p/ping'
import { authorityTopic, checkpointsTopic, dhtProtocol, jobsTopic, policyTopic } from '../wire/domains.js'
import { denyPeerGater, type DenyPeer } from './deny-gater.js'
import { gossipScoring, resolveLimits, type LimitsInput, type NodeLimits } from '../rpc/limits.js'
import { PeerGuard, type PeerGuardComponents } from '../rpc/peer-guard.js'
import { edgecoderYamux } from './yamux-window.js'

export interface MeshServices extends ServiceMap {
  identify: Identify
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
  /** per-peer limits and penalties shared by every req/resp protocol */
  rpcGuard: PeerGuard
}

/**
 * A factory per service, js-libp2p style. Each service states the components it needs; libp2p's own
 * Components type is internal, so a factory's parameter is typed `never` here (any components type
 * is accepted) and libp2p hands it the full set at start.
 */
export type ServiceFactories<S extends ServiceMap> = { [K in keyof S]: (components: never) => S[K] }

export interface CreateMeshLibp2pOptions<S extends ServiceMap> {
  privateKey: PrivateKey
  meshId: string
  listen: string[]
  /** identify's agent version, e.g. "edgecoder-node/0.1.0 role=worker" */
  userAgent: string
  /**
   * serve the kad-dht (answer queries, sit in others' routing tables) or only query it. Default
   * true. Nodes behind NAT should not serve it, and a mesh where every worker serves it becomes a
   * full mesh: every node connects to every other (docs/architecture.md, "Topology").
   */
  dhtServer?: boolean
  /**
   * a node at the edge (a worker or client that does not serve the DHT): its peers are coordinators,
   * which hold every message it could advertise, so it sends no lazy gossip. Default false.
   */
  leaf?: boolean
  /** role services keyed by name */
  services: ServiceFactories<S>
  connectionGater?: ConnectionGater
  /** peers refused at every gate (operator isolation) */
  denyPeer?: DenyPeer
  /** libp2p's metrics implementation (the daemon passes prometheus metrics) */
  metrics?: (components: { logger: ComponentLogger }) => Metrics
  /** abuse limits (req/resp, penalties, gossip scoring); defaults in src/rpc/limits.ts */
  limits?: LimitsInput | NodeLimits
  /** optional counters (benchmarks, ops): libp2p metrics and gossipsub's own metrics register */
  instrumentation?: MeshInstrumentation
}

export interface MeshInstrumentation {
  /** libp2p calls `trackProtocolStream` for every protocol stream opened, in or out */
  metrics?: Libp2pOptions['metrics']
  /** gossipsub counts RPCs, messages and control items sent and received through this */
  gossip?: MetricsRegister
}

export const VERSION = '0.1.0'

export async function createMeshLibp2p<S extends ServiceMap> (opts: CreateMeshLibp2pOptions<S>): Promise<Libp2p<MeshServices & S>> {
  const webrtcListen = opts.listen.filter(a => a.includes('/webrtc-direct'))
  const limits = resolveLimits(opts.limits)
  const guard = new PeerGuard(limits)
  // operator isolation (denyPeer) and any caller gater; bans from the peer guard are checked first
  const gater: ConnectionGater = { ...(opts.denyPeer != null ? denyPeerGater(opts.denyPeer) : {}), ...opts.connectionGater }
  const banned = (peer: PeerId): boolean => guard.isBanned(peer)
  const options: Libp2pOptions<MeshServices & S> = {
    privateKey: opts.privateKey,
    nodeInfo: { userAgent: opts.userAgent },
    addresses: { listen: opts.listen },
    transports: [tcp(), ...(webrtcListen.length > 0 || process.env.EDGECODER_WEBRTC !== '0' ? [webRTCDirect()] : [])],
    connectionEncrypters: [noise()],
    // yamux whose streams send a window update per half window, not per frame (on this node's
    // connections only: nothing else in the process is changed)
    streamMuxers: [edgecoderYamux({ maxEarlyStreams: 256 } as Parameters<typeof edgecoderYamux>[0])],
    ...(opts.instrumentation?.metrics != null ? { metrics: opts.instrumentation.metrics } : {}),
    connectionGater: {
      // private and loopback addresses are the point on LANs and in tests
      denyDialMultiaddr: async () => false,
      ...gater,
      // a banned peer is neither dialed nor let back in until its ban ends
      denyDialPeer: async (peer) => banned(peer) || (await gater?.denyDialPeer?.(peer) ?? false),
      denyInboundEncryptedConnection: async (peer, conn) => banned(peer) || (await gater?.denyInboundEncryptedConnection?.(peer, conn) ?? false)
    },
    ...(opts.metrics != null ? { metrics: opts.metrics } : {}),
    connectionManager: {
      maxConnections: 1024,
      // many loopback peers dial one coordinator at once: the default (5/s per host) refuses them
      inboundConnectionThreshold: 10_000,
      maxIncomingPendingConnections: 256
    },
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: dhtProtocol(opts.meshId),
        clientMode: opts.dhtServer === false,
        peerInfoMapper: passthroughMapper,
        allowQueryWithZeroPeers: false,
        initialQuerySelfInterval: 200
      }),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        allowedTopics: meshTopics(opts.meshId),
        // invalid messages (validator Reject) cost score until the sender is graylisted
        ...gossipScoring(meshTopics(opts.meshId), limits.gossip, guard.gossipScore),
        maxInboundDataLength: 1024 * 1024,
        // a leaf's peers are coordinators, which hold every message it could advertise (they sent
        // it), so lazy gossip (IHAVE to non-mesh peers) from leaves is control traffic the
        // coordinator pays for and never needs (docs/benchmarks.md); leaves still forward on their
        // mesh and still answer IWANT
        ...(opts.leaf === true ? { Dlazy: 0, gossipFactor: 0 } : {}),
        ...(opts.instrumentation?.gossip != null ? { metricsRegister: opts.instrumentation.gossip, metricsTopicStrToLabel: new Map() } : {})
      }),
      rpcGuard: (components: PeerGuardComponents) => guard.bind(components),
      ...opts.services
    } as Libp2pOptions<MeshServices & S>['services']
  }
  return await createLibp2p(options)
}

/** Every gossip topic of a mesh: the only ones a node joins, and each one scored. */
function meshTopics (meshId: string): string[] {
  return [jobsTopic(meshId), checkpointsTopic(meshId), policyTopic(meshId), authorityTopic(meshId)]
}
