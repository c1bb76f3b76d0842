// Admission on the wire. Coordinators serve /edgecoder/enroll (a worker binds a registration token to
// its peer id) and /edgecoder/admin-sync (the admin actions they applied). Every node with admin keys
// follows the policy topic and applies the signed actions published there, and catches up over
// admin-sync from each coordinator it meets. Workers with a token enroll with each coordinator they
// find and learn their status.
import { serviceCapabilities, serviceDependencies, type PeerId, type Startable, type ComponentLogger, type Logger, type Metrics, type PeerStore, type IdentifyResult, type Libp2pEvents, type TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { TopicValidatorResult, type GossipSub, type Message as GossipMessage } from '@libp2p/gossipsub'
import { gossipTopic, type GossipTopic } from '../mesh/gossip-topic.js'
import { RpcServer } from '../rpc/reqresp.js'
import { RpcClient } from '../rpc/client.js'
import { ADMIN_SYNC_PAGE, ProtocolTable } from '../rpc/protocol-table.js'
import { Domains, Protocols, policyTopic, authorityTopic } from '../wire/domains.js'
import { ReplayGuard, verifyEnvelope, claimedSigner, type Signer } from '../wire/signed.js'
import { SignedEnvelope, SignedPayload } from '../wire/pb/envelope.js'
import { AdminActionAnnouncement, AdminSyncRequest, AdminSyncResponse, AuthorityAction, AuthorityAnnouncement, EnrollRequest, EnrollResponse } from '../wire/pb/admission.js'
import { validateAction, envelopeDomain, type AdmissionState, type NodeRecord } from './admission-state.js'
import { validateAuthorityAction, AUTHORITY_KINDS } from './authority.js'
import { coordinatorTag, tokenCoordinatorTag } from './tokens.js'
import { AdminAction } from '../wire/pb/admission.js'
import { MalformedMessageError } from '../errors/index.js'

export interface AdmissionServiceInit {
  meshId: string
  signer: Signer
  state: AdmissionState
  /** coordinators: serve enrollment */
  serveEnrollment: boolean
  /** workers and clients: the registration token to enroll with */
  token?: string
  /** what we enroll as: 'worker' (default) or 'client' */
  role?: 'worker' | 'client'
  label?: string
  executors?: () => string[]
  /** a coordinator admitted us (or changed our status) */
  onStatus?: (coordinator: PeerId, status: EnrollResponse.Status, reason: string) => void
  /** how often a pending worker asks again */
  pendingRetryMs?: number
}

export interface AdmissionServiceComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  peerStore: PeerStore
  logger: ComponentLogger
  metrics?: Metrics
  pubsub: GossipSub
  events: TypedEventTarget<Libp2pEvents>
}

/** actions of a not-yet-known admin key kept for the end of one sync (a rotated log's old key) */
const MAX_DEFERRED = 10_000
const SYNC_EVERY_MS = 30_000
const ACTION_TTL_MS = 7 * 24 * 3600_000 - 60_000

/** A node's standing at each coordinator it enrolled with. */
export type Standing = Record<string, { status: 'pending' | 'active' | 'rejected', reason: string }>

/** Admission on the mesh: enrollment, signed admin and authority actions on their topics, admin-sync. */
export interface AdmissionService {
  readonly state: AdmissionState
  /** the enrollment answer of each coordinator, by peer id */
  readonly statusAt: ReadonlyMap<string, { status: EnrollResponse.Status, reason: string }>
  /** Applies an admin or authority action signed here or by the CLI, then publishes it. */
  submitAction: (envelope: SignedEnvelope) => Promise<Awaited<ReturnType<AdmissionState['applyAction']>>>
  /** Publishes an applied action so every node applies it too. */
  publish: (envelope: SignedEnvelope) => Promise<void>
  /** Signs an admin action with this node's own key (it must be one of the admin keys). */
  signAction: (body: Uint8Array) => Promise<SignedEnvelope>
  /** this node's enrollment at each coordinator it met (workers and clients) */
  standing: () => Standing
  /** our approval or rejection changed: ask every granted coordinator again */
  standingChanged: () => void
  /** the mesh's grants changed: enroll with coordinators granted since */
  authorityChanged: () => void
  enroll: (coordinator: PeerId) => Promise<EnrollResponse>
  /** Catches up on admin and authority actions from `peer`; returns how many were applied. */
  syncFrom: (peer: PeerId, signal?: AbortSignal) => Promise<number>
}

class DefaultAdmissionService implements Startable, AdmissionService {
  readonly [Symbol.toStringTag] = 'edgecoder/admission'
  readonly [serviceCapabilities] = ['@edgecoder/admission']
  readonly [serviceDependencies] = ['@libp2p/identify']

  private readonly log: Logger
  private readonly rpc: RpcServer
  private readonly calls: RpcClient
  private readonly replay = new ReplayGuard()
  /** our status at each coordinator (workers) */
  readonly statusAt = new Map<string, { status: EnrollResponse.Status, reason: string }>()
  private readonly retryTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly synced = new Set<string>()
  private readonly abort = new AbortController()
  private readonly retryDelay = new Map<string, number>()
  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => { this.peerIdentified(evt.detail) }
  // a peer met again (after a partition, a restart) is synced again; a gone peer is not retried
  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const key = evt.detail.toString()
    this.synced.delete(key)
    this.enrollPeers.delete(key)
    this.position.delete(key)
    clearTimeout(this.retryTimers.get(key))
    this.retryTimers.delete(key)
  }
  /** admin actions and authority actions each have a topic; both are applied the same way */
  private readonly policyTopic: GossipTopic
  private readonly authorityTopic: GossipTopic

  constructor (private readonly components: AdmissionServiceComponents, private readonly init: AdmissionServiceInit) {
    this.log = components.logger.forComponent('edgecoder:admission')
    this.rpc = new RpcServer(components, 'admission')
    this.calls = new RpcClient(components.connectionManager, { signer: init.signer })
    const join = (topic: string): GossipTopic => gossipTopic(components.pubsub, {
      topic,
      validate: async (_peer, msg) => await this.validateAnnouncement(msg),
      onMessage: msg => { void this.handleAnnouncement(msg) }
    })
    this.policyTopic = join(policyTopic(init.meshId))
    this.authorityTopic = join(authorityTopic(init.meshId))
  }

  get state (): AdmissionState { return this.init.state }

  async start (): Promise<void> {
    if (this.init.serveEnrollment) {
      await this.rpc.register({ protocol: Protocols.enroll, handle: async (req, ctx) => await this.handleEnroll(req, ctx.remotePeer) })
    }
    await this.rpc.register({ protocol: Protocols.adminSync, handle: async (req, ctx) => await this.handleSync(req, ctx.remotePeer) })
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.components.events.addEventListener('peer:disconnect', this.onDisconnect)
  }


  afterStart (): void {
    this.policyTopic.join()
    this.authorityTopic.join()
    this.scheduleResync()
  }

  async stop (): Promise<void> {
    this.abort.abort()
    clearTimeout(this.resyncTimer)
    for (const t of this.retryTimers.values()) clearTimeout(t)
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    this.components.events.removeEventListener('peer:disconnect', this.onDisconnect)
    this.policyTopic.leave()
    this.authorityTopic.leave()
    await this.rpc.unregisterAll()
  }

  /**
   * Applies an admin action signed here or by the CLI, then publishes it so every coordinator
   * applies it too. Throws UnauthorizedAdminError, DuplicateActionError, ... like a remote one.
   */
  async submitAction (envelope: SignedEnvelope): Promise<Awaited<ReturnType<AdmissionState['applyAction']>>> {
    const out = await this.init.state.applyAction(envelope)
    await this.publish(envelope)
    return out
  }

  /** Publishes an applied action so every node applies it too (an approval on enrollment, say). */
  async publish (envelope: SignedEnvelope): Promise<void> {
    try {
      if (envelopeDomain(envelope) === Domains.authority) await this.authorityTopic.publish(AuthorityAnnouncement.encode({ action: envelope }))
      else await this.policyTopic.publish(AdminActionAnnouncement.encode({ action: envelope }))
    } catch (err) {
      // no peer on the topic yet: others catch up over admin-sync when they meet us
      this.log('publishing admin action: %s', (err as Error).message)
    }
  }

  /** Signs an admin action with this node's own key (it must be one of the admin keys). */
  async signAction (body: Uint8Array): Promise<SignedEnvelope> {
    return await this.init.signer.sign(Domains.adminAction, body, ACTION_TTL_MS)
  }

  // --- enrollment, coordinator side ---

  private async handleEnroll (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const v = await verifyEnvelope(req, { domain: Domains.enroll, meshId: this.init.meshId, expectedSigner: remote, replay: this.replay })
    let body: EnrollRequest
    try { body = EnrollRequest.decode(v.payload.body, { limits: { executors: 64 } }) } catch (err) { throw new MalformedMessageError(`enroll request does not decode: ${(err as Error).message}`) }
    const rec = await this.init.state.enroll(remote.toString(), body)
    this.log('enrolled %p: %s', remote, rec.status)
    return EnrollResponse.encode(toResponse(rec))
  }

  // --- enrollment, worker side ---

  private peerIdentified (r: IdentifyResult): void {
    const peer = r.peerId
    if (this.abort.signal.aborted) return
    if (r.protocols.includes(Protocols.adminSync) && this.init.state.adminKeys.length > 0 && !this.synced.has(peer.toString())) {
      this.synced.add(peer.toString())
      void this.syncFrom(peer).catch(err => { this.synced.delete(peer.toString()); this.log('admin sync from %p: %s', peer, (err as Error).message) })
    }
    if (this.init.serveEnrollment || !r.protocols.includes(Protocols.enroll)) return
    this.enrollPeers.set(peer.toString(), peer)
    this.askStanding(peer)
  }

  /** Our enrollment state at each granted coordinator, in words (status, /status, the console). */
  standing (): Standing {
    const out: Record<string, { status: 'pending' | 'active' | 'rejected', reason: string }> = {}
    for (const [k, v] of this.statusAt) out[k] = { status: statusName(v.status), reason: v.reason }
    return out
  }

  /** coordinators met that serve enrollment (workers and clients): asked for our standing once granted */
  private readonly enrollPeers = new Map<string, PeerId>()

  /**
   * Learns where this node stands at a granted coordinator: the token goes only to the coordinator
   * that issued it (its tag is in the token); any other granted coordinator is asked without one,
   * since an admin's approval admits us mesh-wide.
   */
  private askStanding (peer: PeerId): void {
    const key = peer.toString()
    if (this.abort.signal.aborted || this.retryTimers.has(key)) return
    if (!this.init.state.authority.isGranted(key)) return
    void this.enroll(peer).catch(() => {})
  }

  /** An admin approved or rejected us (the action reached this node): ask every coordinator again now. */
  standingChanged (): void {
    for (const [key, peer] of this.enrollPeers) {
      clearTimeout(this.retryTimers.get(key))
      this.retryTimers.delete(key)
      this.retryDelay.delete(key)
      this.askStanding(peer)
    }
  }

  /** The mesh's grants changed: ask any newly granted coordinator met before. */
  authorityChanged (): void {
    for (const [key, peer] of this.enrollPeers) {
      if (this.init.state.authority.isGranted(key)) this.askStanding(peer)
      else { this.statusAt.delete(key); clearTimeout(this.retryTimers.get(key)); this.retryTimers.delete(key) }
    }
  }

  /** Enrolls with `coordinator` and records the answer; a pending node asks again later. */
  async enroll (coordinator: PeerId): Promise<EnrollResponse> {
    const key = coordinator.toString()
    clearTimeout(this.retryTimers.get(key))
    this.retryTimers.delete(key)
    const ours = this.init.token != null && tokenCoordinatorTag(this.init.token) === coordinatorTag(key)
    try {
      const request: EnrollRequest = { token: ours ? this.init.token ?? '' : '', label: this.init.label ?? '', executors: this.init.role === 'client' ? [] : this.init.executors?.() ?? [], role: this.init.role ?? 'worker' }
      const res = await this.calls.call(ProtocolTable.enroll, coordinator, request, { signal: this.abort.signal })
      const before = this.statusAt.get(key)
      this.statusAt.set(key, { status: res.status, reason: res.reason })
      if (before?.status !== res.status) this.init.onStatus?.(coordinator, res.status, res.reason)
      if (res.status === EnrollResponse.Status.PENDING) this.retryLater(coordinator)
      else this.retryDelay.delete(key)
      return res
    } catch (err) {
      const e = err as Error
      this.log('enrolling with %p: %s %s', coordinator, e.name, e.message)
      // asked without a token (it is another coordinator's, or we have none): the mesh's approval
      // of us may not have reached this coordinator yet; ask again later
      const waiting = !ours && e.name === 'InvalidTokenError'
      const status = waiting ? EnrollResponse.Status.PENDING : EnrollResponse.Status.REJECTED
      const reason = waiting
        ? (this.init.token != null ? 'not enrolled here: waiting for the mesh\'s approval of this node to reach this coordinator' : 'not enrolled: start with a registration token (--token or AGENT_REGISTRATION_TOKEN) from a coordinator of the mesh')
        : `${e.name}: ${e.message}`
      const before = this.statusAt.get(key)
      this.statusAt.set(key, { status, reason })
      if (before?.status !== status || before.reason !== reason) this.init.onStatus?.(coordinator, status, reason)
      if (waiting || (e.name !== 'InvalidTokenError' && e.name !== 'NotAdmittedError')) this.retryLater(coordinator)
      throw err
    }
  }

  private retryLater (coordinator: PeerId): void {
    if (this.abort.signal.aborted) return
    // back off while pending: 2 s, doubling to a minute
    const key = coordinator.toString()
    const delay = Math.min(60_000, this.retryDelay.get(key) ?? this.init.pendingRetryMs ?? 2_000)
    this.retryDelay.set(key, delay * 2)
    const t = setTimeout(() => { void this.enroll(coordinator).catch(() => {}) }, delay)
    t.unref?.()
    this.retryTimers.set(coordinator.toString(), t)
  }

  // --- admin actions on gossip ---

  /**
   * Reject (which costs the forwarder score) only what no honest relay would pass on: frames that do
   * not decode, bad signatures, malformed actions. Authority is local (each node has its own admin
   * keys), and expiry depends on clocks: those are Ignore, never a penalty for the relay.
   */
  private async validateAnnouncement (msg: GossipMessage): Promise<TopicValidatorResult> {
    if (msg.type !== 'signed') return TopicValidatorResult.Reject
    const authority = msg.topic === authorityTopic(this.init.meshId)
    let env: SignedEnvelope
    try {
      env = (authority ? AuthorityAnnouncement.decode(msg.data).action : AdminActionAnnouncement.decode(msg.data).action) ?? { payload: new Uint8Array(), signature: new Uint8Array() }
      // authority first: a non-admin signer costs one decode, not a signature check
      const signer = claimedSigner(env)
      if (!this.init.state.isAdmin(signer)) return TopicValidatorResult.Ignore
    } catch {
      return TopicValidatorResult.Reject
    }
    try {
      const v = await verifyEnvelope(env, { domain: authority ? Domains.authority : Domains.adminAction, meshId: this.init.meshId })
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
    return (await this.init.state.seen(env)) ? TopicValidatorResult.Ignore : TopicValidatorResult.Accept
  }

  private async handleAnnouncement (msg: GossipMessage): Promise<void> {
    try {
      const env = (msg.topic === policyTopic(this.init.meshId) ? AdminActionAnnouncement : AuthorityAnnouncement).decode(msg.data).action
      if (env == null) return
      const { record } = await this.init.state.applyAction(env)
      this.log('applied admin action %s %s from gossip', record.kind, record.target)
    } catch (err) {
      if ((err as Error).name !== 'DuplicateActionError') this.log('admin action from gossip not applied: %s', (err as Error).message)
    }
  }

  // --- admin-sync ---

  private async handleSync (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const v = await verifyEnvelope(req, { domain: Domains.adminSync, meshId: this.init.meshId, expectedSigner: remote, replay: this.replay })
    let q: AdminSyncRequest
    try { q = AdminSyncRequest.decode(v.payload.body) } catch (err) { throw new MalformedMessageError(`admin sync request does not decode: ${(err as Error).message}`) }
    const from = Number(q.from)
    const records = await this.init.state.audit(from, ADMIN_SYNC_PAGE)
    return AdminSyncResponse.encode({
      actions: records.map(r => SignedEnvelope.decode(Buffer.from(r.envelope, 'base64'))),
      next: BigInt(from + records.length)
    })
  }

  /** Applies every admin action `peer` holds that we lack (expired ones too: they were valid when issued). */
  async syncFrom (peer: PeerId, signal: AbortSignal = this.abort.signal): Promise<number> {
    // resume where the last sync from this peer ended: its audit log only grows
    let from = this.position.get(peer.toString()) ?? 0n
    let applied = 0
    let fruitless = 0
    // signed by a key we do not hold as admin (yet): an admin key may be added later in the same
    // log than the server's order shows; these get one more try at the end
    const later: SignedEnvelope[] = []
    for (let page = 0; page < 10_000 && fruitless < 5; page++) {
      let ours = 0
      const res = await this.calls.call(ProtocolTable.adminSync, peer, { from }, { signal })
      for (const a of res.actions) {
        // only admin keys' actions are ours to apply: skip the rest before any signature check
        let signer: string
        try { signer = claimedSigner(a) } catch { continue }
        if (!this.init.state.isAdmin(signer)) {
          // an action of this mesh by a key we may learn is an admin's: the page is not junk
          if (isMeshAction(a, this.init.meshId)) {
            ours++
            if (later.length < MAX_DEFERRED) later.push(a)
          }
          continue
        }
        ours++
        if (await this.init.state.seen(a)) continue
        try {
          await this.init.state.applyAction(a, { allowExpired: true })
          applied++
        } catch (err) {
          // actions signed by keys we do not hold as admin are not ours to apply
          this.log('admin sync: action from %p not applied: %s', peer, (err as Error).message)
        }
      }
      // a server that does not advance by what it sent is not to be followed
      if (res.actions.length === 0 || res.next !== from + BigInt(res.actions.length)) break
      from = res.next
      this.position.set(peer.toString(), from)
      // pages with nothing signed by our admins (junk, or another mesh's) end the sync after a few
      fruitless = ours > 0 ? 0 : fruitless + 1
    }
    for (const a of later) {
      if (await this.init.state.seen(a)) continue
      try { await this.init.state.applyAction(a, { allowExpired: true }); applied++ } catch {}
    }
    if (applied > 0) this.log('admin sync: applied %d actions from %p', applied, peer)
    this.init.state.authority.synced = true
    return applied
  }

  /** where each peer's audit log was read up to (admin-sync resumes there) */
  private readonly position = new Map<string, bigint>()

  /**
   * Every SYNC_EVERY_MS, resume admin-sync with each connected peer that serves it: an action
   * missed on gossip (a grant that arrived before the admin-add it depends on was ignored there,
   * and gossipsub does not deliver it twice) is picked up within that bound.
   */
  private scheduleResync (): void {
    if (this.abort.signal.aborted || this.init.state.adminKeys.length === 0) return
    this.resyncTimer = setTimeout(() => {
      void (async () => {
        for (const conn of this.components.connectionManager.getConnections()) {
          const peer = conn.remotePeer
          if (this.abort.signal.aborted || !this.synced.has(peer.toString())) continue
          await this.syncFrom(peer).catch(err => { this.log('admin re-sync from %p: %s', peer, (err as Error).message) })
        }
      })().finally(() => { this.scheduleResync() })
    }, SYNC_EVERY_MS)
    this.resyncTimer.unref?.()
  }

  private resyncTimer?: ReturnType<typeof setTimeout>
}

/** The admission service of a node (js-libp2p service factory). */
export function admissionService (init: AdmissionServiceInit): (components: AdmissionServiceComponents) => AdmissionService {
  return (components) => new DefaultAdmissionService(components, init)
}

/** An admin or authority action of this mesh, by its claimed domain and mesh (no signature check). */
function isMeshAction (env: SignedEnvelope, meshId: string): boolean {
  try {
    const p = SignedPayload.decode(env.payload)
    return p.meshId === meshId && (p.domain === Domains.adminAction || p.domain === Domains.authority)
  } catch {
    return false
  }
}

function toResponse (rec: NodeRecord): EnrollResponse {
  const status = rec.status === 'active' ? EnrollResponse.Status.ACTIVE : rec.status === 'pending' ? EnrollResponse.Status.PENDING : EnrollResponse.Status.REJECTED
  return { status, reason: rec.reason }
}

/** Gossip validators of other topics reject messages published by blacklisted peers through this. */
export function deniedPublisher (state: AdmissionState | undefined, msg: GossipMessage): boolean {
  return state != null && msg.type === 'signed' && state.isDenied(msg.from.toString())
}

export function statusName (s: EnrollResponse.Status): 'pending' | 'active' | 'rejected' {
  return s === EnrollResponse.Status.ACTIVE ? 'active' : s === EnrollResponse.Status.PENDING ? 'pending' : 'rejected'
}
