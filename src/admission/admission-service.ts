// Admission on the wire. Coordinators serve /edgecoder/enroll (a worker binds a registration token to
// its peer id) and /edgecoder/admin-sync (the admin actions they applied). Every node with admin keys
// follows the policy topic and applies the signed actions published there, and catches up over
// admin-sync from each coordinator it meets. Workers with a token enroll with each coordinator they
// find and learn their status. This file is the service's public face and lifecycle; enrollment
// (worker side), admin-sync and the gossip of actions are parts beside it.
import { serviceCapabilities, serviceDependencies, type PeerId, type Startable, type IdentifyResult } from '@libp2p/interface'
import type { Message as GossipMessage } from '@libp2p/gossipsub'
import { RpcServer } from '../rpc/reqresp.js'
import { RpcClient } from '../rpc/client.js'
import { Domains, Protocols } from '../wire/domains.js'
import { ReplayGuard, verifyEnvelope } from '../wire/signed.js'
import type { SignedEnvelope } from '../wire/pb/envelope.js'
import { EnrollRequest, EnrollResponse } from '../wire/pb/admission.js'
import type { AdmissionState, NodeRecord } from './admission-state.js'
import type { AdmissionContext, AdmissionServiceComponents, AdmissionServiceInit } from './admission-context.js'
import { EnrollmentClient, type Standing } from './enrollment-client.js'
import { AdminSync } from './admin-sync.js'
import { AdminGossip } from './admin-gossip.js'
import { MalformedMessageError } from '../errors/index.js'

export type { AdmissionServiceComponents, AdmissionServiceInit } from './admission-context.js'
export { statusName, type Standing } from './enrollment-client.js'

const ACTION_TTL_MS = 7 * 24 * 3600_000 - 60_000
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

  private readonly ctx: AdmissionContext
  private readonly rpc: RpcServer
  private readonly abort = new AbortController()
  private readonly enrollment: EnrollmentClient
  private readonly adminSync: AdminSync
  private readonly gossip: AdminGossip
  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => { this.peerIdentified(evt.detail) }
  // a peer met again (after a partition, a restart) is synced again; a gone peer is not retried
  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const key = evt.detail.toString()
    this.adminSync.forget(key)
    this.enrollment.forget(key)
  }

  constructor (private readonly components: AdmissionServiceComponents, private readonly init: AdmissionServiceInit) {
    this.ctx = {
      components,
      init,
      log: components.logger.forComponent('edgecoder:admission'),
      calls: new RpcClient(components.connectionManager, { signer: init.signer }),
      replay: new ReplayGuard(),
      signal: this.abort.signal
    }
    this.rpc = new RpcServer(components, 'admission')
    this.enrollment = new EnrollmentClient(this.ctx)
    this.adminSync = new AdminSync(this.ctx)
    this.gossip = new AdminGossip(this.ctx)
  }

  get state (): AdmissionState { return this.init.state }

  /** our status at each coordinator (workers) */
  get statusAt (): ReadonlyMap<string, { status: EnrollResponse.Status, reason: string }> { return this.enrollment.statusAt }

  async start (): Promise<void> {
    if (this.init.serveEnrollment) {
      await this.rpc.register({ protocol: Protocols.enroll, handle: async (req, ctx) => await this.handleEnroll(req, ctx.remotePeer) })
    }
    await this.rpc.register({ protocol: Protocols.adminSync, handle: async (req, ctx) => await this.adminSync.handleSync(req, ctx.remotePeer) })
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.components.events.addEventListener('peer:disconnect', this.onDisconnect)
  }

  afterStart (): void {
    this.gossip.join()
    this.adminSync.start()
  }

  async stop (): Promise<void> {
    this.abort.abort()
    this.adminSync.stop()
    this.enrollment.stop()
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    this.components.events.removeEventListener('peer:disconnect', this.onDisconnect)
    this.gossip.leave()
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
  async publish (envelope: SignedEnvelope): Promise<void> { await this.gossip.publish(envelope) }

  /** Signs an admin action with this node's own key (it must be one of the admin keys). */
  async signAction (body: Uint8Array): Promise<SignedEnvelope> {
    return await this.init.signer.sign(Domains.adminAction, body, ACTION_TTL_MS)
  }

  /** Enrollment, coordinator side. */
  private async handleEnroll (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const v = await verifyEnvelope(req, { domain: Domains.enroll, meshId: this.init.meshId, expectedSigner: remote, replay: this.ctx.replay })
    let body: EnrollRequest
    try { body = EnrollRequest.decode(v.payload.body, { limits: { executors: 64 } }) } catch (err) { throw new MalformedMessageError(`enroll request does not decode: ${(err as Error).message}`) }
    const rec = await this.init.state.enroll(remote.toString(), body)
    this.ctx.log('enrolled %p: %s', remote, rec.status)
    return EnrollResponse.encode(toResponse(rec))
  }

  private peerIdentified (r: IdentifyResult): void {
    const peer = r.peerId
    if (this.abort.signal.aborted) return
    if (r.protocols.includes(Protocols.adminSync)) this.adminSync.met(peer)
    if (this.init.serveEnrollment || !r.protocols.includes(Protocols.enroll)) return
    this.enrollment.met(peer)
  }

  standing (): Standing { return this.enrollment.standing() }
  standingChanged (): void { this.enrollment.standingChanged() }
  authorityChanged (): void { this.enrollment.authorityChanged() }
  async enroll (coordinator: PeerId): Promise<EnrollResponse> { return await this.enrollment.enroll(coordinator) }
  async syncFrom (peer: PeerId, signal?: AbortSignal): Promise<number> { return await this.adminSync.syncFrom(peer, signal) }
}

/** The admission service of a node (js-libp2p service factory). */
export function admissionService (init: AdmissionServiceInit): (components: AdmissionServiceComponents) => AdmissionService {
  return (components) => new DefaultAdmissionService(components, init)
}

function toResponse (rec: NodeRecord): EnrollResponse {
  const status = rec.status === 'active' ? EnrollResponse.Status.ACTIVE : rec.status === 'pending' ? EnrollResponse.Status.PENDING : EnrollResponse.Status.REJECTED
  return { status, reason: rec.reason }
}

/** Gossip validators of other topics reject messages published by blacklisted peers through this. */
export function deniedPublisher (state: AdmissionState | undefined, msg: GossipMessage): boolean {
  return state != null && msg.type === 'signed' && state.isDenied(msg.from.toString())
}
