// Per-peer penalties for the req/resp layer, shared by every protocol of one node. Each refused
// request costs its sender points by typed error name (decaying over time); past the threshold the
// peer is banned for a while: its streams are refused, its connections closed and refused, and its
// gossip score drops below the graylist. Counters go to libp2p metrics when the node has them.
import type { ComponentLogger, Counter, CounterGroup, Logger, Metrics, PeerId } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { NodeLimits } from './limits.js'

export interface PeerGuardComponents {
  logger: ComponentLogger
  metrics?: Metrics
  connectionManager?: ConnectionManager
  pubsub?: { getPeers: () => PeerId[], getScore: (id: string) => number }
}

interface PeerState {
  points: number
  /** when `points` was last brought up to date */
  at: number
  bannedUntil: number
  streams: number
}

export interface PeerGuardStats {
  /** refused requests, by `<protocol> <error name>` */
  rejected: Record<string, number>
  /** penalty points charged, by error name */
  penaltyPoints: Record<string, number>
  /** streams refused before reading, by reason (`banned`, `stream-limit`) */
  refused: Record<string, number>
  bans: number
  banned: string[]
  /** peers whose gossip score is below the graylist threshold */
  graylisted: string[]
}

export type Admission = 'ok' | 'banned' | 'stream-limit'

export class PeerGuard {
  readonly [Symbol.toStringTag] = 'edgecoder/peer-guard'
  private readonly peers = new Map<string, PeerState>()
  private readonly counts: PeerGuardStats = { rejected: {}, penaltyPoints: {}, refused: {}, bans: 0, banned: [], graylisted: [] }
  private components?: PeerGuardComponents
  private log?: Logger
  private rejectedMetric?: CounterGroup
  private pointsMetric?: CounterGroup
  private refusedMetric?: CounterGroup
  private bansMetric?: Counter

  constructor (readonly limits: NodeLimits) {}

  /** Called once by the libp2p service factory: logger, metrics, connection manager, pubsub. */
  bind (components: PeerGuardComponents): this {
    this.components = components
    this.log = components.logger.forComponent('edgecoder:peer-guard')
    const m = components.metrics
    if (m != null) {
      this.rejectedMetric = m.registerCounterGroup('edgecoder_rpc_rejected_total', { label: 'protocol_error', help: 'req/resp requests refused, by protocol and typed error' })
      this.pointsMetric = m.registerCounterGroup('edgecoder_peer_penalty_points_total', { label: 'error', help: 'penalty points charged to peers, by typed error' })
      this.refusedMetric = m.registerCounterGroup('edgecoder_rpc_refused_streams_total', { label: 'reason', help: 'req/resp streams refused before reading' })
      this.bansMetric = m.registerCounter('edgecoder_peer_bans_total', { help: 'peers banned for exceeding the penalty threshold' })
      m.registerMetric('edgecoder_peers_banned', { help: 'peers currently banned', calculate: () => this.bannedPeers().length })
      m.registerMetric('edgecoder_gossip_graylisted_peers', { help: 'connected gossip peers scored below the graylist threshold', calculate: () => this.graylisted().length })
    }
    return this
  }

  /** Before a stream is read: refuses banned peers and peers holding too many streams. */
  admit (peer: PeerId): Admission {
    const now = Date.now()
    const id = peer.toString()
    const s = this.peers.get(id)
    if (s != null && s.bannedUntil > now) return this.refuse('banned')
    if (s != null && s.streams >= this.limits.maxStreamsPerPeer) {
      this.reject(peer, '*', 'StreamLimitError')
      return this.refuse('stream-limit')
    }
    this.state(id, now).streams++
    return 'ok'
  }

  release (peer: PeerId): void {
    const id = peer.toString()
    const s = this.peers.get(id)
    if (s == null) return
    s.streams = Math.max(0, s.streams - 1)
    this.forgetIfIdle(id, s, Date.now())
  }

  /**
   * Records a request refused with a typed error and charges its weight. Returns true when this
   * pushed the peer over the threshold (it is now banned).
   */
  reject (peer: PeerId, protocol: string, errorName: string): boolean {
    const key = `${protocol} ${errorName}`
    this.counts.rejected[key] = (this.counts.rejected[key] ?? 0) + 1
    this.rejectedMetric?.increment({ [key]: true })
    const weight = this.limits.penalties.weights[errorName] ?? 0
    if (weight <= 0) return false
    this.counts.penaltyPoints[errorName] = (this.counts.penaltyPoints[errorName] ?? 0) + weight
    this.pointsMetric?.increment({ [errorName]: weight })
    const now = Date.now()
    const id = peer.toString()
    const s = this.state(id, now)
    s.points += weight
    if (s.bannedUntil > now || s.points < this.limits.penalties.banThreshold) return false
    s.bannedUntil = now + this.limits.penalties.banMs
    this.counts.bans++
    this.bansMetric?.increment()
    this.log?.('banned %s for %d ms: %d penalty points (last %s on %s)', id, this.limits.penalties.banMs, Math.round(s.points), errorName, protocol)
    if (this.limits.penalties.disconnect) {
      const cm = this.connectionManager()
      void cm?.closeConnections(peer).catch(() => {})
    }
    return true
  }

  isBanned (peer: PeerId | string): boolean {
    const s = this.peers.get(peer.toString())
    return s != null && s.bannedUntil > Date.now()
  }

  /** Current penalty points (decayed). */
  points (peer: PeerId | string): number {
    const s = this.peers.get(peer.toString())
    if (s == null) return 0
    this.decay(s, Date.now())
    return s.points
  }

  /** For gossipsub's application-specific score: minus the points, and far below any threshold while banned. */
  readonly gossipScore = (peer: string): number => {
    const s = this.peers.get(peer)
    if (s == null) return 0
    const now = Date.now()
    this.decay(s, now)
    return s.bannedUntil > now ? -Math.max(s.points, this.limits.penalties.banThreshold) * 10 : -s.points
  }

  bannedPeers (): string[] {
    const now = Date.now()
    return [...this.peers].filter(([, s]) => s.bannedUntil > now).map(([id]) => id)
  }

  graylisted (): string[] {
    const ps = this.pubsub()
    if (ps == null) return []
    return ps.getPeers().map(p => p.toString()).filter(id => ps.getScore(id) < this.limits.gossip.graylistThreshold)
  }

  /** How many peers have state here (bounded by `maxTrackedPeers`). */
  get trackedPeers (): number { return this.peers.size }

  stats (): PeerGuardStats {
    return {
      rejected: { ...this.counts.rejected },
      penaltyPoints: { ...this.counts.penaltyPoints },
      refused: { ...this.counts.refused },
      bans: this.counts.bans,
      banned: this.bannedPeers(),
      graylisted: this.graylisted()
    }
  }

  private refuse (reason: Exclude<Admission, 'ok'>): Admission {
    this.counts.refused[reason] = (this.counts.refused[reason] ?? 0) + 1
    this.refusedMetric?.increment({ [reason]: true })
    return reason
  }

  private state (id: string, now: number): PeerState {
    let s = this.peers.get(id)
    if (s == null) {
      s = { points: 0, at: now, bannedUntil: 0, streams: 0 }
      this.evict()
    } else {
      this.decay(s, now)
      // most recently touched last: eviction takes the oldest
      this.peers.delete(id)
    }
    this.peers.set(id, s)
    return s
  }

  private decay (s: PeerState, now: number): void {
    if (now > s.at && s.points > 0) s.points *= 0.5 ** ((now - s.at) / this.limits.penalties.halfLifeMs)
    s.at = now
  }

  private forgetIfIdle (id: string, s: PeerState, now: number): void {
    this.decay(s, now)
    if (s.streams === 0 && s.points < 0.5 && s.bannedUntil <= now) this.peers.delete(id)
  }

  /** Keeps the map bounded: drops the least recently touched peers that hold no stream or ban. */
  private evict (): void {
    if (this.peers.size < this.limits.maxTrackedPeers) return
    const now = Date.now()
    for (const [id, s] of this.peers) {
      if (this.peers.size < this.limits.maxTrackedPeers) return
      if (s.streams === 0 && s.bannedUntil <= now) this.peers.delete(id)
    }
    // everyone is busy or banned: forget the oldest anyway rather than grow
    const oldest = this.peers.keys().next()
    if (this.peers.size >= this.limits.maxTrackedPeers && oldest.done !== true) this.peers.delete(oldest.value)
  }

  // the components object throws for services a node does not run
  private connectionManager (): ConnectionManager | undefined {
    try { return this.components?.connectionManager } catch { return undefined }
  }

  private pubsub (): PeerGuardComponents['pubsub'] {
    try { return this.components?.pubsub } catch { return undefined }
  }
}
