// Every abuse limit a node applies, in one configurable object: per-protocol frame sizes, rates,
// stream counts and timeouts (the req/resp layer), per-peer penalties and bans (PeerGuard), and
// gossipsub peer scoring. `resolveLimits` fills defaults and refuses nonsense, so a typo in a config
// file fails at start instead of silently disabling a limit.
import { createPeerScoreParams, createPeerScoreThresholds, createTopicScoreParams, type PeerScoreParams, type PeerScoreThresholds } from '@libp2p/gossipsub/score'
import { InvalidConfigError } from '../errors/index.js'

export interface RpcLimits {
  /** largest request frame accepted, bytes */
  maxRequestBytes: number
  /** largest response frame accepted by the caller, bytes */
  maxResponseBytes: number
  /** requests a peer may make per `rateWindowSec` on this protocol */
  ratePoints: number
  rateWindowSec: number
  /** time for the whole exchange */
  timeoutMs: number
  /** concurrent inbound streams per connection on this protocol */
  maxInboundStreams: number
}

export const DEFAULT_RPC_LIMITS: Readonly<RpcLimits> = {
  maxRequestBytes: 256 * 1024,
  maxResponseBytes: 8 * 1024 * 1024,
  ratePoints: 2000,
  rateWindowSec: 1,
  timeoutMs: 10_000,
  maxInboundStreams: 256
}

export interface PenaltyLimits {
  /** penalty points at which a peer is banned */
  banThreshold: number
  /** penalty points halve this often */
  halfLifeMs: number
  /** how long a ban lasts: streams refused, connections closed and refused */
  banMs: number
  /** close a banned peer's connections (and refuse new ones) rather than only refusing its streams */
  disconnect: boolean
  /** points per refused request, by typed error name; names not listed cost nothing */
  weights: Record<string, number>
}

export const DEFAULT_PENALTY_WEIGHTS: Readonly<Record<string, number>> = {
  MessageTooLargeError: 20,
  MalformedMessageError: 10,
  InvalidSignatureError: 10,
  WrongDomainError: 10,
  WrongMeshError: 10,
  UnexpectedSignerError: 10,
  // publishing work or checkpoints on the mesh's topics without a coordinator grant
  NotGrantedCoordinatorError: 20,
  ReplayedMessageError: 5,
  RpcTimeoutError: 5,
  StreamLimitError: 5,
  // honest peers hit these by accident (clock skew, a local bug, a burst): cheap
  MessageExpiredError: 2,
  InvalidJobSpecError: 2,
  InvalidArgumentError: 2,
  RateLimitedError: 1
}

export interface GossipLimits {
  /** P4 weight on every mesh topic: score += weight * invalid_messages^2 */
  invalidMessageWeight: number
  /** the invalid-message counter is multiplied by this every second */
  invalidMessageDecay: number
  gossipThreshold: number
  publishThreshold: number
  /** below this score every RPC of the peer is ignored */
  graylistThreshold: number
  /** weight of -(req/resp penalty points) in the gossip score: a peer banned there is graylisted here */
  rpcPenaltyWeight: number
}

export interface NodeLimits {
  /** defaults for every req/resp protocol */
  rpc: RpcLimits
  /** per protocol id, on top of the protocol's own defaults */
  protocols: Record<string, Partial<RpcLimits>>
  /** concurrent inbound req/resp streams one peer may hold over all protocols */
  maxStreamsPerPeer: number
  /** peers whose penalty state is remembered (least recently penalised forgotten first) */
  maxTrackedPeers: number
  penalties: PenaltyLimits
  gossip: GossipLimits
}

export interface LimitsInput {
  rpc?: Partial<RpcLimits>
  protocols?: Record<string, Partial<RpcLimits>>
  maxStreamsPerPeer?: number
  maxTrackedPeers?: number
  penalties?: Partial<PenaltyLimits>
  gossip?: Partial<GossipLimits>
}

export const DEFAULT_LIMITS: Readonly<NodeLimits> = {
  rpc: { ...DEFAULT_RPC_LIMITS },
  protocols: {},
  maxStreamsPerPeer: 512,
  maxTrackedPeers: 10_000,
  penalties: { banThreshold: 100, halfLifeMs: 30_000, banMs: 60_000, disconnect: true, weights: { ...DEFAULT_PENALTY_WEIGHTS } },
  gossip: {
    invalidMessageWeight: -1,
    invalidMessageDecay: 0.99,
    gossipThreshold: -10,
    publishThreshold: -50,
    graylistThreshold: -80,
    rpcPenaltyWeight: 1
  }
}

/** Fills defaults and checks every number; throws InvalidConfigError naming the bad key. */
export function resolveLimits (input: LimitsInput = {}): NodeLimits {
  if (typeof input !== 'object' || input == null) throw new InvalidConfigError('limits must be an object')
  const rpc = checkRpc({ ...DEFAULT_LIMITS.rpc, ...input.rpc }, 'limits.rpc') as RpcLimits
  const protocols: Record<string, Partial<RpcLimits>> = {}
  for (const [p, l] of Object.entries(input.protocols ?? {})) protocols[p] = checkRpc({ ...l }, `limits.protocols["${p}"]`)
  const penalties: PenaltyLimits = {
    ...DEFAULT_LIMITS.penalties,
    ...input.penalties,
    weights: { ...DEFAULT_LIMITS.penalties.weights, ...input.penalties?.weights }
  }
  const gossip: GossipLimits = { ...DEFAULT_LIMITS.gossip, ...input.gossip }
  const out: NodeLimits = {
    rpc,
    protocols,
    maxStreamsPerPeer: input.maxStreamsPerPeer ?? DEFAULT_LIMITS.maxStreamsPerPeer,
    maxTrackedPeers: input.maxTrackedPeers ?? DEFAULT_LIMITS.maxTrackedPeers,
    penalties,
    gossip
  }
  positiveInt(out.maxStreamsPerPeer, 'limits.maxStreamsPerPeer')
  positiveInt(out.maxTrackedPeers, 'limits.maxTrackedPeers')
  positive(penalties.banThreshold, 'limits.penalties.banThreshold')
  positive(penalties.halfLifeMs, 'limits.penalties.halfLifeMs')
  nonNegative(penalties.banMs, 'limits.penalties.banMs')
  if (typeof penalties.disconnect !== 'boolean') throw new InvalidConfigError('limits.penalties.disconnect must be true or false')
  for (const [k, w] of Object.entries(penalties.weights)) nonNegative(w, `limits.penalties.weights.${k}`)
  if (!(gossip.invalidMessageWeight <= 0)) throw new InvalidConfigError('limits.gossip.invalidMessageWeight must be 0 or negative')
  if (!(gossip.invalidMessageDecay > 0 && gossip.invalidMessageDecay < 1)) throw new InvalidConfigError('limits.gossip.invalidMessageDecay must be between 0 and 1')
  if (!(gossip.gossipThreshold <= 0 && gossip.publishThreshold <= gossip.gossipThreshold && gossip.graylistThreshold <= gossip.publishThreshold)) {
    throw new InvalidConfigError('limits.gossip thresholds must satisfy graylistThreshold <= publishThreshold <= gossipThreshold <= 0')
  }
  nonNegative(gossip.rpcPenaltyWeight, 'limits.gossip.rpcPenaltyWeight')
  return out
}

/** The limits one protocol runs with: node defaults < the protocol's own < configured for it. */
export function protocolLimits (limits: NodeLimits, protocol: string, own?: Partial<RpcLimits>): RpcLimits {
  return { ...limits.rpc, ...own, ...limits.protocols[protocol] }
}

function checkRpc (l: Partial<RpcLimits>, where: string): Partial<RpcLimits> {
  for (const [k, v] of Object.entries(l)) {
    if (!(k in DEFAULT_RPC_LIMITS)) throw new InvalidConfigError(`${where}.${k} is not a limit (known: ${Object.keys(DEFAULT_RPC_LIMITS).join(', ')})`)
    positiveInt(v, `${where}.${k}`)
  }
  return l
}

function positiveInt (v: unknown, key: string): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new InvalidConfigError(`${key} must be a positive integer`)
}

function positive (v: unknown, key: string): void {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new InvalidConfigError(`${key} must be a positive number`)
}

function nonNegative (v: unknown, key: string): void {
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new InvalidConfigError(`${key} must be a non-negative number`)
}

/**
 * Gossipsub scoring for a mesh's topics: only invalid messages (validator Reject) cost anything.
 * Quiet topics must not penalise honest peers, so mesh-delivery penalties (P3, P3b) are off; on
 * loopback and LANs every peer shares an IP, so the colocation penalty (P6) is off too.
 */
export function gossipScoring (topics: string[], g: GossipLimits, rpcPenalty: (peer: string) => number): { scoreParams: PeerScoreParams, scoreThresholds: PeerScoreThresholds } {
  const topic = createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0,
    firstMessageDeliveriesWeight: 0,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: g.invalidMessageWeight,
    invalidMessageDeliveriesDecay: g.invalidMessageDecay
  })
  return {
    scoreParams: createPeerScoreParams({
      IPColocationFactorWeight: 0,
      appSpecificScore: rpcPenalty,
      appSpecificWeight: g.rpcPenaltyWeight,
      topics: Object.fromEntries(topics.map(t => [t, topic]))
    }),
    scoreThresholds: createPeerScoreThresholds({
      gossipThreshold: g.gossipThreshold,
      publishThreshold: g.publishThreshold,
      graylistThreshold: g.graylistThreshold
    })
  }
}
