// One place that applies size limits, per-peer rate limits, stream limits, timeouts, typed errors
// and peer penalties to every request/response protocol (the shape of Lodestar's req/resp). A method
// is one signed request and one RpcResponse on a fresh stream; handlers see a decoded envelope and
// return response bytes or throw a typed error, which the caller receives as the same error class.
// Every refused request is charged to its sender in the node's PeerGuard (see peer-guard.ts).
import { pbStream, RateLimiter } from '@libp2p/utils'
import type { Connection, PeerId, Stream, Logger, ComponentLogger, Metrics, Counter } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'
import { SignedEnvelope } from '../wire/pb/envelope.js'
import { RpcResponse } from '../wire/pb/rpc.js'
import { ownBytes } from '../wire/signed.js'
import { errorClasses, errorFromName, MessageTooLargeError, RateLimitedError, RpcTimeoutError, MalformedMessageError } from '../errors/index.js'
import { DEFAULT_RPC_LIMITS, protocolLimits, resolveLimits, type RpcLimits } from './limits.js'
import { PeerGuard } from './peer-guard.js'
import { sessionRouterOf } from './session.js'

export { DEFAULT_RPC_LIMITS, type RpcLimits } from './limits.js'

export interface RpcContext {
  remotePeer: PeerId
  connection: Connection
  signal: AbortSignal
  /** when the exchange times out (epoch ms): a handler that waits for something waits less */
  deadline: number
  /** the request came on a session stream (session.ts), where the caller can cancel it */
  session: boolean
}

export interface RpcMethod {
  protocol: string
  limits?: Partial<RpcLimits>
  /** also served on session streams (session.ts): for a method a peer calls often */
  session?: boolean
  handle (request: SignedEnvelope, ctx: RpcContext): Promise<Uint8Array>
}

/** A method as registered: its resolved limits and its per-peer rate limiter (shared by every path in). */
export interface RegisteredMethod {
  method: RpcMethod
  limits: RpcLimits
  limiter: RateLimiter
  server: RpcServer
}

/**
 * A method whose response is a stream: each yielded body goes out as its own RpcResponse frame
 * (backpressure from the stream), an error as a final frame carrying the error. The caller reads
 * frames until the stream ends.
 */
export interface RpcStreamMethod {
  protocol: string
  limits?: Partial<RpcLimits>
  stream (request: SignedEnvelope, ctx: RpcContext): AsyncIterable<Uint8Array>
}

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

/** varint length prefix of the largest frame, plus slack: what a stream may buffer beyond one frame */
const LENGTH_PREFIX_SLACK = 16

/** Stream failures caused by the remote going away: nothing to answer, nothing to charge. */
const STREAM_GONE = new Set(['StreamResetError', 'StreamAbortedError', 'StreamClosedError', 'StreamStateError', 'ConnectionClosedError', 'MuxerClosedError'])

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

  /** The limits a protocol runs with: node defaults < the method's own < configured for that protocol. */
  limitsFor (method: { protocol: string, limits?: Partial<RpcLimits> }): RpcLimits {
    return protocolLimits(this.guard.limits, method.protocol, method.limits)
  }

  async register (method: RpcMethod | RpcStreamMethod): Promise<void> {
    const limits = this.limitsFor(method)
    const limiter = new RateLimiter({ points: limits.ratePoints, duration: limits.rateWindowSec })
    await this.components.registrar.handle(method.protocol, (stream, connection) => {
      void this.serve(method, limits, limiter, stream, connection)
    }, { maxInboundStreams: limits.maxInboundStreams, maxOutboundStreams: limits.maxInboundStreams })
    this.registered.push(method.protocol)
    if (!('stream' in method) && method.session === true) {
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
      const e = err instanceof Error ? err : new Error(String(err))
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
      const e = err instanceof Error ? err : new Error(String(err))
      if (signal.aborted) {
        this.errors?.increment()
        // half-sent or never-finished requests end here
        this.guard.reject(remotePeer, method.protocol, RpcTimeoutError.name)
        stream.abort(new RpcTimeoutError('request timed out'))
        return
      }
      if (STREAM_GONE.has(e.name) || stream.status !== 'open') {
        this.errors?.increment()
        this.guard.reject(remotePeer, method.protocol, 'StreamGone')
        stream.abort(e)
        return
      }
      response = this.errorResponse(e, remotePeer, method.protocol)
    }
    try {
      await pb.write(response, RpcResponse, { signal })
      await finish(stream, signal)
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
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

/** Frames that do not decode, or are too long, become one typed error. */
function asWireError (err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err))
  if (e.name === 'InvalidDataLengthError' || e.name === 'InvalidMessageLengthError' || e.name === 'InvalidDataLengthLengthError' || e.name === 'StreamBufferError') {
    return new MessageTooLargeError(e.message)
  }
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || STREAM_GONE.has(e.name)) return e
  return new MalformedMessageError(`request frame: ${e.message}`)
}

export interface RpcCallOptions {
  signal?: AbortSignal
  timeoutMs?: number
  maxResponseBytes?: number
}

/** the response frame limit, and a stream buffer that can hold one such frame (the default holds 4 MiB) */
function responseFraming (options: RpcCallOptions): { maxDataLength: number, maxBufferSize: number } {
  const max = options.maxResponseBytes ?? DEFAULT_RPC_LIMITS.maxResponseBytes
  return { maxDataLength: max, maxBufferSize: max + LENGTH_PREFIX_SLACK }
}

export interface RpcDialer {
  openStream (peer: PeerId, protocol: string, options: { signal: AbortSignal, maxOutboundStreams?: number, negotiateFully?: boolean }): Promise<Stream>
}

/** Sends one signed request and returns the response body, or throws the remote's typed error. */
export async function rpcCall (dialer: RpcDialer, peer: PeerId, protocol: string, request: SignedEnvelope, options: RpcCallOptions = {}): Promise<Uint8Array> {
  const timeoutMs = Math.max(1, Math.ceil(options.timeoutMs ?? DEFAULT_RPC_LIMITS.timeoutMs))
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = options.signal != null ? AbortSignal.any([options.signal, timeout]) : timeout
  let stream: Stream | undefined
  try {
    // lazy negotiation: the protocol id travels with the request, saving a round trip
    stream = await dialer.openStream(peer, protocol, { signal, maxOutboundStreams: 1024, negotiateFully: false })
    const pb = pbStream(stream, responseFraming(options))
    await pb.write(request, SignedEnvelope, { signal })
    const response = await pb.read(RpcResponse, { signal })
    await stream.close({ signal }).catch(() => {})
    if (response.errorName !== '') throw errorFromName(response.errorName, response.errorMessage)
    return response.body
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err))
    stream?.abort(e)
    if (timeout.aborted && options.signal?.aborted !== true) {
      throw new RpcTimeoutError(`${protocol} to ${peer.toString()} timed out after ${timeoutMs} ms`)
    }
    throw e
  }
}

/** Sends one signed request to a streaming method and yields each response body as it arrives. */
export async function * rpcStream (dialer: RpcDialer, peer: PeerId, protocol: string, request: SignedEnvelope, options: RpcCallOptions = {}): AsyncGenerator<Uint8Array> {
  const timeoutMs = Math.max(1, Math.ceil(options.timeoutMs ?? 120_000))
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = options.signal != null ? AbortSignal.any([options.signal, timeout]) : timeout
  const stream = await dialer.openStream(peer, protocol, { signal, maxOutboundStreams: 1024, negotiateFully: false })
  try {
    const pb = pbStream(stream, responseFraming(options))
    await pb.write(request, SignedEnvelope, { signal })
    for (;;) {
      let frame: RpcResponse
      try {
        frame = await pb.read(RpcResponse, { signal })
      } catch (err) {
        // the server closing its side after the last frame ends the stream
        if ((err as Error).name === 'UnexpectedEOFError' || (err as Error).name === 'StreamClosedError' || /end of|ended/i.test((err as Error).message)) break
        throw err
      }
      if (frame.errorName !== '') throw errorFromName(frame.errorName, frame.errorMessage)
      yield frame.body
    }
    await stream.close({ signal }).catch(() => {})
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err))
    stream.abort(e)
    if (timeout.aborted && options.signal?.aborted !== true) throw new RpcTimeoutError(`${protocol} to ${peer.toString()} timed out after ${timeoutMs} ms`)
    throw e
  }
}
