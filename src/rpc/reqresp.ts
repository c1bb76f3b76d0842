// One place that applies size limits, per-peer rate limits, stream limits, timeouts, typed errors
// and peer penalties to every request/response protocol (the shape of Lodestar's req/resp). A method
// is one signed request and one RpcResponse on a fresh stream; handlers see a decoded envelope and
// return response bytes or throw a typed error, which the caller receives as the same error class.
// Every refused request is charged to its sender in the node's PeerGuard (see peer-guard.ts). What
// a protocol's limits and a caller's timeout are is the protocol table's (protocol-table.ts).
import { pbStream, RateLimiter } from '@libp2p/utils'
import { AbortError, type Connection, type PeerId, type Stream, type Logger, type ComponentLogger, type Metrics, type Counter } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'
import { SignedEnvelope } from '../wire/pb/envelope.js'
import { RpcResponse } from '../wire/pb/rpc.js'
import { ownBytes } from '../wire/signed.js'
import { errorClasses, errorFromName, MessageTooLargeError, RateLimitedError, RpcTimeoutError } from '../errors/index.js'
import { DEFAULT_RPC_LIMITS, protocolLimits, resolveLimits, type RpcLimits } from './limits.js'
import { PeerGuard } from './peer-guard.js'
import { sessionRouterOf } from './session-server.js'
import { callerTimeoutMs, protocolEntry } from './protocol-table.js'
import { LENGTH_PREFIX_SLACK, STREAM_GONE, asWireError, isEndOfStream, toError } from './framing.js'
import type { RegisteredMethod, RpcCallOptions, RpcContext, RpcDialer, RpcMethod, RpcStreamMethod } from './types.js'

export { DEFAULT_RPC_LIMITS, type RpcLimits } from './limits.js'
export type { RegisteredMethod, RpcCallOptions, RpcContext, RpcDialer, RpcMethod, RpcStreamMethod } from './types.js'

export interface RpcServerComponents {
  registrar: Registrar
  logger: ComponentLogger
  metrics?: Metrics
  /** the node's shared limits and penalties (createMeshLibp2p adds it); a default one otherwise */
  rpcGuard?: PeerGuard
}

// nodes built without the rpcGuard service still share one guard between their RpcServers
const fallbackGuards = new WeakMap<Registrar, PeerGuard>()

function guardOf (components: RpcServerComponents): PeerGuard {
  let g: unknown
  // libp2p's components object throws for a service the node does not run
  try { g = components.rpcGuard } catch {}
  if (g instanceof PeerGuard) return g
  let own = fallbackGuards.get(components.registrar)
  if (own == null) {
    own = new PeerGuard(resolveLimits()).bind(components)
    fallbackGuards.set(components.registrar, own)
  }
  return own
}

/** Serves a set of methods; register them in a service's start() and unregister in stop(). */
export class RpcServer {
  private readonly log: Logger
  private readonly registered: string[] = []
  private readonly errors?: Counter
  private readonly requests?: Counter
  private guardInstance?: PeerGuard

  constructor (private readonly components: RpcServerComponents, name: string) {
    this.log = components.logger.forComponent(`edgecoder:rpc:${name}`)
    this.requests = components.metrics?.registerCounter(`edgecoder_rpc_${name}_requests_total`, { help: 'requests served' })
    this.errors = components.metrics?.registerCounter(`edgecoder_rpc_${name}_errors_total`, { help: 'requests answered with an error' })
  }

  /** the node's PeerGuard, looked up once every service exists */
  get guard (): PeerGuard {
    this.guardInstance ??= guardOf(this.components)
    return this.guardInstance
  }

  /**
   * The limits a protocol runs with: node defaults < the protocol table's < the registration's own
   * < configured for that protocol.
   */
  limitsFor (method: { protocol: string, limits?: Partial<RpcLimits> }): RpcLimits {
    return protocolLimits(this.guard.limits, method.protocol, { ...protocolEntry(method.protocol)?.limits, ...method.limits })
  }

  async register (method: RpcMethod | RpcStreamMethod): Promise<void> {
    const limits = this.limitsFor(method)
    const limiter = new RateLimiter({ points: limits.ratePoints, duration: limits.rateWindowSec })
    await this.components.registrar.handle(method.protocol, (stream, connection) => {
      void this.serve(method, limits, limiter, stream, connection)
    }, { maxInboundStreams: limits.maxInboundStreams, maxOutboundStreams: limits.maxInboundStreams })
    this.registered.push(method.protocol)
    if (!('stream' in method) && (method.session ?? servedOnSessions(method.protocol))) {
      await sessionRouterOf(this.components, () => this.guard).add({ method, limits, limiter, server: this })
    }
  }

  async unregisterAll (): Promise<void> {
    const router = sessionRouterOf(this.components, () => this.guard)
    for (const p of this.registered.splice(0)) {
      await router.remove(p)
      await this.components.registrar.unhandle(p)
    }
  }

  /**
   * One request through a method, however it arrived (its own stream or a session): the method's
   * rate limit, the handler, and the typed-error answer, charged to the peer when refused.
   */
  async respond (entry: RegisteredMethod, request: SignedEnvelope, ctx: RpcContext): Promise<RpcResponse> {
    this.requests?.increment()
    try {
      consumeRate(entry.limiter, entry.limits, entry.method.protocol, ctx.remotePeer)
      const body = await entry.method.handle(request, ctx)
      return { errorName: '', errorMessage: '', body: ownBytes(body) }
    } catch (err) {
      const e = toError(err)
      return this.errorResponse(ctx.signal.aborted && e.name !== 'RateLimitedError' ? new RpcTimeoutError('request timed out or was cancelled') : e, ctx.remotePeer, entry.method.protocol)
    }
  }

  /** A refused request's answer: its typed error (untyped ones hide their internals), charged to the peer. */
  errorResponse (e: Error, remotePeer: PeerId, protocol: string): RpcResponse {
    this.errors?.increment()
    this.log('%s from %p failed: %s %s', protocol, remotePeer, e.name, e.message)
    let name = e.name
    let message = e.message
    if (errorClasses[name] == null) {
      // a handler let an untyped error out: our bug, not the peer's; answered without internals
      this.log.error('%s from %p: untyped %s: %s', protocol, remotePeer, e.name, e.message)
      name = 'RemoteError'
      message = `internal error (${e.name})`
      this.guard.reject(remotePeer, protocol, `untyped:${e.name}`)
    } else {
      this.guard.reject(remotePeer, protocol, name)
    }
    return { errorName: name, errorMessage: message.slice(0, 512), body: new Uint8Array(0) }
  }

  private async serve (method: RpcMethod | RpcStreamMethod, limits: RpcLimits, limiter: RateLimiter, stream: Stream, connection: Connection): Promise<void> {
    const remotePeer = connection.remotePeer
    const guard = this.guard
    this.requests?.increment()
    const admission = guard.admit(remotePeer)
    if (admission !== 'ok') {
      // refused before reading anything: the cheapest answer there is
      stream.abort(new RateLimitedError(admission === 'banned' ? 'peer is banned' : 'too many concurrent streams'))
      return
    }
    const signal = AbortSignal.timeout(limits.timeoutMs)
    try {
      await this.exchange(method, limits, limiter, stream, connection, signal, Date.now() + limits.timeoutMs)
    } finally {
      guard.release(remotePeer)
    }
  }

  private async exchange (method: RpcMethod | RpcStreamMethod, limits: RpcLimits, limiter: RateLimiter, stream: Stream, connection: Connection, signal: AbortSignal, deadline: number): Promise<void> {
    const remotePeer = connection.remotePeer
    const ctx: RpcContext = { remotePeer, connection, signal, deadline, session: false }
    // bound what the stream buffers too: by default it holds 4 MiB whatever the frame limit says
    const pb = pbStream(stream, { maxDataLength: limits.maxRequestBytes, maxBufferSize: limits.maxRequestBytes + LENGTH_PREFIX_SLACK })
    let response: RpcResponse
    try {
      // refused before reading the request: the cheapest answer there is
      consumeRate(limiter, limits, method.protocol, remotePeer)
      let request: SignedEnvelope
      try {
        request = await pb.read(SignedEnvelope, { signal })
      } catch (err) {
        throw asWireError(err)
      }
      if ('stream' in method) {
        for await (const body of method.stream(request, ctx)) {
          await pb.write({ errorName: '', errorMessage: '', body: ownBytes(body) }, RpcResponse, { signal })
        }
        await finish(stream, signal)
        return
      }
      const body = await method.handle(request, ctx)
      response = { errorName: '', errorMessage: '', body: ownBytes(body) }
    } catch (err) {
      const e = toError(err)
      if (signal.aborted) {
        this.errors?.increment()
        // half-sent or never-finished requests end here
        this.guard.reject(remotePeer, method.protocol, RpcTimeoutError.name)
        stream.abort(new RpcTimeoutError('request timed out'))
        return
      }
      if (STREAM_GONE.has(e.name) || stream.status !== 'open') {
        this.errors?.increment()
        // a frame that overran the stream's buffer cut the stream itself: still the sender's doing
        this.guard.reject(remotePeer, method.protocol, e.name === MessageTooLargeError.name ? e.name : 'StreamGone')
        stream.abort(e)
        return
      }
      response = this.errorResponse(e, remotePeer, method.protocol)
    }
    try {
      await pb.write(response, RpcResponse, { signal })
      await finish(stream, signal)
    } catch (err) {
      stream.abort(toError(err))
    }
  }
}

/** whether the protocol table offers a method on session streams too */
function servedOnSessions (protocol: string): boolean {
  const entry = protocolEntry(protocol)
  return entry?.kind === 'request' && entry.session
}

/**
 * Ends a served stream: our side is written, and nothing more is read. Closing only the write side
 * would leave the stream open for as long as the remote keeps its own side open (an attacker never
 * closes), holding a stream slot until the muxer's inactivity timeout.
 */
async function finish (stream: Stream, signal: AbortSignal): Promise<void> {
  await stream.close({ signal })
  await stream.closeRead({ signal })
  // the stream ends only once the remote closes its side too: give it until the exchange's deadline
  if (stream.status === 'open') {
    const cut = (): void => { if (stream.status === 'open') stream.abort(new RpcTimeoutError('peer kept the stream open')) }
    signal.addEventListener('abort', cut, { once: true })
    stream.addEventListener('close', () => { signal.removeEventListener('abort', cut) }, { once: true })
  }
}

/** One request against a method's per-peer rate, on whatever path it came (own stream or session). */
function consumeRate (limiter: RateLimiter, limits: RpcLimits, protocol: string, peer: PeerId): void {
  try {
    limiter.consume(peer.toString())
  } catch {
    throw new RateLimitedError(`more than ${limits.ratePoints} requests in ${limits.rateWindowSec}s on ${protocol}`)
  }
}

/** the response frame limit, and a stream buffer that can hold one such frame (the default holds 4 MiB) */
function responseFraming (options: RpcCallOptions): { maxDataLength: number, maxBufferSize: number } {
  const max = options.maxResponseBytes ?? DEFAULT_RPC_LIMITS.maxResponseBytes
  return { maxDataLength: max, maxBufferSize: max + LENGTH_PREFIX_SLACK }
}

/** One exchange's deadline: the caller's timeout, else the protocol table's, else the node default. */
class CallDeadline {
  readonly ms: number
  readonly signal: AbortSignal
  private readonly timeout: AbortSignal

  constructor (private readonly protocol: string, private readonly peer: PeerId, private readonly options: RpcCallOptions) {
    this.ms = Math.max(1, Math.ceil(options.timeoutMs ?? callerTimeoutMs(protocol) ?? DEFAULT_RPC_LIMITS.timeoutMs))
    this.timeout = AbortSignal.timeout(this.ms)
    this.signal = options.signal != null ? AbortSignal.any([options.signal, this.timeout]) : this.timeout
  }

  /** what the caller is told: our own timeout as RpcTimeoutError, its abort and anything else as they are */
  failure (err: unknown): Error {
    if (this.timeout.aborted && this.options.signal?.aborted !== true) return new RpcTimeoutError(`${this.protocol} to ${this.peer.toString()} timed out after ${this.ms} ms`)
    return toError(err)
  }
}

/** Ends our side of a finished exchange; a stream that cannot even do that is cut. */
async function closeOrAbort (stream: Stream, signal: AbortSignal): Promise<void> {
  try {
    await stream.close({ signal })
  } catch (err) {
    stream.abort(toError(err))
  }
}

/** Sends one signed request and returns the response body, or throws the remote's typed error. */
export async function rpcCall (dialer: RpcDialer, peer: PeerId, protocol: string, request: SignedEnvelope, options: RpcCallOptions = {}): Promise<Uint8Array> {
  const deadline = new CallDeadline(protocol, peer, options)
  const signal = deadline.signal
  let stream: Stream | undefined
  let response: RpcResponse
  try {
    // lazy negotiation: the protocol id travels with the request, saving a round trip
    stream = await dialer.openStream(peer, protocol, { signal, maxOutboundStreams: 1024, negotiateFully: false })
    const pb = pbStream(stream, responseFraming(options))
    await pb.write(request, SignedEnvelope, { signal })
    response = await pb.read(RpcResponse, { signal })
  } catch (err) {
    const e = deadline.failure(err)
    stream?.abort(e)
    throw e
  }
  // the answer is in, whatever it says: the exchange is over
  await closeOrAbort(stream, signal)
  if (response.errorName !== '') throw errorFromName(response.errorName, response.errorMessage)
  return response.body
}

/**
 * Sends one signed request to a streaming method and yields each response body as it arrives. A
 * caller that stops early (a `break` out of its `for await`) aborts the stream: the server stops
 * sending and neither end holds it open.
 */
export async function * rpcStream (dialer: RpcDialer, peer: PeerId, protocol: string, request: SignedEnvelope, options: RpcCallOptions = {}): AsyncGenerator<Uint8Array> {
  const deadline = new CallDeadline(protocol, peer, options)
  const signal = deadline.signal
  let stream: Stream
  try {
    stream = await dialer.openStream(peer, protocol, { signal, maxOutboundStreams: 1024, negotiateFully: false })
  } catch (err) {
    throw deadline.failure(err)
  }
  let state: 'reading' | 'ended' | 'failed' = 'reading'
  try {
    const pb = pbStream(stream, responseFraming(options))
    await pb.write(request, SignedEnvelope, { signal })
    for (;;) {
      let frame: RpcResponse
      try {
        frame = await pb.read(RpcResponse, { signal })
      } catch (err) {
        // the server closing its side after the last frame ends the stream
        if (isEndOfStream(toError(err))) break
        throw err
      }
      if (frame.errorName !== '') throw errorFromName(frame.errorName, frame.errorMessage)
      yield frame.body
    }
    state = 'ended'
  } catch (err) {
    state = 'failed'
    const e = deadline.failure(err)
    stream.abort(e)
    throw e
  } finally {
    if (state === 'ended') await closeOrAbort(stream, signal)
    // the caller stopped reading before the end
    else if (state === 'reading') stream.abort(new AbortError('the caller stopped reading'))
  }
}
