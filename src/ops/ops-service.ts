// The /edgecoder/ops/1.0.0 protocol: a coordinator tells a worker to drain or to come back, and
// the worker reports back once it has drained. Transport only: what a notice means is decided by
// the handler the node wires in (src/ops/node-ops/operator-effects.ts).
import { serviceCapabilities, serviceDependencies, type PeerId, type Startable, type ComponentLogger, type Logger, type Metrics } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { RpcServer, rpcCall } from '../rpc/reqresp.js'
import { ReplayGuard, verifyEnvelope, type Signer } from '../wire/signed.js'
import type { SignedEnvelope } from '../wire/pb/envelope.js'
import { OpsNotice, OpsNoticeAck } from '../wire/pb/ops.js'
import { MalformedMessageError } from '../errors/index.js'
import { Domains, Protocols } from '../wire/domains.js'

export const OPS_PROTOCOL = Protocols.ops
export const OPS_NOTICE_DOMAIN = Domains.opsNotice

export interface OpsNoticeHandler {
  (kind: OpsNotice.Kind, from: PeerId, reason: string): Promise<OpsNoticeAck>
}

export interface OpsServiceInit {
  meshId: string
  signer: Signer
}

export interface OpsServiceComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  logger: ComponentLogger
  metrics?: Metrics
}

/** The ops-notice transport of one node. */
export interface OpsService {
  /** set by the node once its operator state exists; notices before that are refused */
  handler?: OpsNoticeHandler
  /** Sends a signed notice and returns the peer's answer. */
  send (peer: PeerId, kind: OpsNotice.Kind, reason?: string, signal?: AbortSignal): Promise<OpsNoticeAck>
}

class DefaultOpsService implements OpsService, Startable {
  readonly [Symbol.toStringTag] = 'edgecoder/ops'
  readonly [serviceCapabilities] = ['@edgecoder/ops']
  readonly [serviceDependencies] = ['@libp2p/identify']

  private readonly log: Logger
  private readonly rpc: RpcServer
  private readonly replay = new ReplayGuard()
  private readonly abort = new AbortController()
  handler?: OpsNoticeHandler

  constructor (private readonly components: OpsServiceComponents, private readonly init: OpsServiceInit) {
    this.log = components.logger.forComponent('edgecoder:ops')
    this.rpc = new RpcServer(components, 'ops')
  }

  async start (): Promise<void> {
    await this.rpc.register({ protocol: OPS_PROTOCOL, handle: async (req, ctx) => await this.handle(req, ctx.remotePeer) })
  }

  async stop (): Promise<void> {
    this.abort.abort()
    await this.rpc.unregisterAll()
  }

  async send (peer: PeerId, kind: OpsNotice.Kind, reason = '', signal?: AbortSignal): Promise<OpsNoticeAck> {
    const env = await this.init.signer.sign(OPS_NOTICE_DOMAIN, OpsNotice.encode({ kind, reason }), 60_000)
    const s = signal != null ? AbortSignal.any([signal, this.abort.signal]) : this.abort.signal
    return OpsNoticeAck.decode(await rpcCall(this.components.connectionManager, peer, OPS_PROTOCOL, env, { signal: s }))
  }

  private async handle (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const v = await verifyEnvelope(req, { domain: OPS_NOTICE_DOMAIN, meshId: this.init.meshId, expectedSigner: remote, replay: this.replay })
    let notice: OpsNotice
    try {
      notice = OpsNotice.decode(v.payload.body)
    } catch (err) {
      throw new MalformedMessageError(`ops notice does not decode: ${(err as Error).message}`)
    }
    if (this.handler == null) throw new MalformedMessageError('this node does not take ops notices yet')
    this.log('%s from %p', notice.kind, remote)
    return OpsNoticeAck.encode(await this.handler(notice.kind, remote, notice.reason))
  }
}

export function opsService (init: OpsServiceInit): (components: OpsServiceComponents) => OpsService {
  return (components) => new DefaultOpsService(components, init)
}
