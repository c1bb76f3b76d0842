// The caller side of every protocol in the table: a typed call that signs the request for the
// protocol's domain, sends it, waits the protocol's time and decodes the answer with its codec.
// Methods served on sessions go over the peer's session stream when the client keeps sessions.
import type { PeerId } from '@libp2p/interface'
import type { SignedEnvelope } from '../wire/pb/envelope.js'
import type { Signer } from '../wire/signed.js'
import { MalformedMessageError } from '../errors/index.js'
import { rpcCall, rpcStream } from './reqresp.js'
import { SessionClient } from './session-client.js'
import { toError } from './framing.js'
import type { BodyCodec, RequestProtocol, StreamProtocol } from './protocol-table.js'
import type { RpcDialer, SessionCallOptions } from './types.js'

export interface CallOptions extends SessionCallOptions {
  /** how long the signed request stays valid; the protocol table's unless given */
  ttlMs?: number
}

export interface RpcClientInit {
  /** the node's signer: every request is signed by the node that sends it */
  signer: Signer
  /** send the methods the table serves on sessions over one session stream per peer */
  sessions?: boolean
}

export class RpcClient {
  private readonly signer: Signer
  private readonly sessions?: SessionClient

  constructor (private readonly dialer: RpcDialer, init: RpcClientInit) {
    this.signer = init.signer
    if (init.sessions === true) {
      this.sessions = new SessionClient(dialer, async (peer, protocol, request, options) => await rpcCall(dialer, peer, protocol, request, options))
    }
  }

  /** Signs `request` for the method's domain, sends it to `peer` and returns the decoded answer. */
  async call<Req, Res> (method: RequestProtocol<Req, Res>, peer: PeerId, request: Req, options: CallOptions = {}): Promise<Res> {
    const envelope = await this.signer.sign(method.domain, method.request.encode(request), options.ttlMs ?? method.signTtlMs)
    return await this.send(method, peer, envelope, options)
  }

  /** Sends a request signed earlier (a job spec, a result sent again) and returns the decoded answer. */
  async send<Req, Res> (method: RequestProtocol<Req, Res>, peer: PeerId, envelope: SignedEnvelope, options: SessionCallOptions = {}): Promise<Res> {
    const timed = { ...options, timeoutMs: options.timeoutMs ?? method.timeoutMs }
    const body = method.session && this.sessions != null
      ? await this.sessions.call(peer, method.id, envelope, timed)
      : await rpcCall(this.dialer, peer, method.id, envelope, timed)
    return decodeAnswer(method.response, body, method.id)
  }

  /**
   * Signs `request` for a streaming method and yields each decoded frame as it arrives. Stopping
   * early (a `break`) ends the stream.
   */
  async * stream<Req, Frame> (method: StreamProtocol<Req, Frame>, peer: PeerId, request: Req, options: CallOptions = {}): AsyncGenerator<Frame> {
    const envelope = await this.signer.sign(method.domain, method.request.encode(request), options.ttlMs ?? method.signTtlMs)
    const timed = { ...options, timeoutMs: options.timeoutMs ?? method.timeoutMs }
    for await (const body of rpcStream(this.dialer, peer, method.id, envelope, timed)) {
      yield decodeAnswer(method.response, body, method.id)
    }
  }

  /** Closes the sessions this client holds (the node is stopping). */
  async close (): Promise<void> {
    await this.sessions?.close()
  }
}

/** An answer that does not decode is the peer's fault, told as one typed error. */
function decodeAnswer<T> (codec: BodyCodec<T>, body: Uint8Array, protocol: string): T {
  try {
    return codec.decode(body)
  } catch (err) {
    throw new MalformedMessageError(`${protocol} answer does not decode: ${toError(err).message}`)
  }
}
