// One place that applies size limits, per-peer rate limits, timeouts and typed errors to every
// request/response protocol (the shape of Lodestar's req/resp). A method is one signed request and
// one RpcResponse on a fresh stream; handlers see a decoded envelope and return response bytes or
// throw a typed error, which the caller receives as the same error class.
import { pbStream, RateLimiter } from '@libp2p/utils'
import type { Connection, PeerId, Stream, Logger, ComponentLogger, Metrics, Counter } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'
import { SignedEnvelope } from '../wire/pb/envelope.js'
import { RpcResponse } from '../wire/pb/rpc.js'
import { ownBytes } from '../wire/signed.js'
import { errorFromName, MessageTooLargeError, RateLimitedError, RpcTimeoutError, MalformedMessageError } from '../errors/index.js'

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

export const DEFAULT_RPC_LIMITS: RpcLimits = {
  maxRequestBytes: 256 * 1024,
  maxResponseBytes: 8 * 1024 * 1024,
  ratePoints: 2000,
  rateWindowSec: 1,
  timeoutMs: 10_000,
  maxInboundStreams: 256
}

export interface RpcContext {
  remotePeer: PeerId
  connection: Connection
  signal: AbortSignal
}

export interface RpcMethod {
  protocol: string
  limits?: Partial<RpcLimits>
  handle (request: SignedEnvelope, ctx: RpcContext): Promise<Uint8Array>
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
}

/** Serves a set of methods; register them in a service's start() and unregister in stop(). */
export class RpcServer {
  private readonly log: Logger
  private readonly registered: string[] = []
  private readonly errors?: Counter
  private readonly requests?: Counter

  constructor (private readonly components: RpcServerComponents, name: string) {
    this.log = components.logger.forComponent(`edgecoder:rpc:${name}`)
    this.requests = components.metrics?.registerCounter(`edgecoder_rpc_${name}_requests_total`, { help: 'requests served' })
    this.errors = components.metrics?.registerCounter(`edgecoder_rpc_${name}_errors_total`, { help: 'requests answered with an error' })
  }

  async register (method: RpcMethod | RpcStreamMethod): Promise<void> {
    const limits = { ...DEFAULT_RPC_LIMITS, ...method.limits }
    const limiter = new RateLimiter({ points: limits.ratePoints, duration: limits.rateWindowSec })
    await this.components.registrar.handle(method.protocol, (stream, connection) => {
      void this.serve(method, limits, limiter, stream, connection)
    }, { maxInboundStreams: limits.maxInboundStreams, maxOutboundStreams: limits.maxInboundStreams })
    this.registered.push(method.protocol)
  }

  async unregisterAll (): Promise<void> {
    for (const p of this.registered.splice(0)) await this.components.registrar.unhandle(p)
  }

  private async serve (method: RpcMethod | RpcStreamMethod, limits: RpcLimits, limiter: RateLimiter, stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(limits.timeoutMs)
    const remotePeer = connection.remotePeer
    this.requests?.increment()
    const pb = pbStream(stream, { maxDataLength: limits.maxRequestBytes })
    let response: RpcResponse
    try {
      try {
        limiter.consume(remotePeer.toString())
      } catch {
        throw new RateLimitedError(`more than ${limits.ratePoints} requests in ${limits.rateWindowSec}s on ${method.protocol}`)
      }
      let request: SignedEnvelope
      try {
        request = await pb.read(SignedEnvelope, { signal })
      } catch (err) {
        throw asWireError(err)
      }
      if ('stream' in method) {
        for await (const body of method.stream(request, { remotePeer, connection, signal })) {
          await pb.write({ errorName: '', errorMessage: '', body: ownBytes(body) }, RpcResponse, { signal })
        }
        await stream.close({ signal })
        return
      }
      const body = await method.handle(request, { remotePeer, connection, signal })
      response = { errorName: '', errorMessage: '', body: ownBytes(body) }
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err))
      this.errors?.increment()
      this.log('%s from %p failed: %s %s', method.protocol, remotePeer, e.name, e.message)
      if (signal.aborted && e.name === 'AbortError') {
        stream.abort(new RpcTimeoutError('request timed out'))
        return
      }
      response = { errorName: e.name === 'Error' ? 'RemoteError' : e.name, errorMessage: e.message.slice(0, 512), body: new Uint8Array(0) }
    }
    try {
      await pb.write(response, RpcResponse, { signal })
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

/** Frames that do not decode, or are too long, become one typed error. */
function asWireError (err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err))
  if (e.name === 'InvalidDataLengthError' || e.name === 'InvalidMessageLengthError' || e.name === 'InvalidDataLengthLengthError') {
    return new MessageTooLargeError(e.message)
  }
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return e
  return new MalformedMessageError(`request frame: ${e.message}`)
}

export interface RpcCallOptions {
  signal?: AbortSignal
  timeoutMs?: number
  maxResponseBytes?: number
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
    const pb = pbStream(stream, { maxDataLength: options.maxResponseBytes ?? DEFAULT_RPC_LIMITS.maxResponseBytes })
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
    const pb = pbStream(stream, { maxDataLength: options.maxResponseBytes ?? DEFAULT_RPC_LIMITS.maxResponseBytes })
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
