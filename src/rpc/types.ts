// What the req/resp layer's parts share: a method as a service registers it, the context its handler
// sees, and what the caller side needs of libp2p. Its own file so the fresh-stream side (reqresp.ts)
// and the session side (session.ts) depend on it and not on each other.
import type { RateLimiter } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { SignedEnvelope } from '../wire/pb/envelope.js'
import type { RpcResponse } from '../wire/pb/rpc.js'
import type { RpcLimits } from './limits.js'

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
  /** over the protocol table's limits for this protocol (protocol-table.ts) */
  limits?: Partial<RpcLimits>
  /** also served on session streams (session.ts); the protocol table says unless given */
  session?: boolean
  handle (request: SignedEnvelope, ctx: RpcContext): Promise<Uint8Array>
}

/**
 * A method whose response is a stream: each yielded body goes out as its own RpcResponse frame
 * (backpressure from the stream), an error as a final frame carrying the error. The caller reads
 * frames until the stream ends.
 */
export interface RpcStreamMethod {
  protocol: string
  /** over the protocol table's limits for this protocol (protocol-table.ts) */
  limits?: Partial<RpcLimits>
  stream (request: SignedEnvelope, ctx: RpcContext): AsyncIterable<Uint8Array>
}

/** What answers a request however it arrived: the RpcServer that registered the method. */
export interface MethodResponder {
  /** the method's rate limit, its handler and the typed-error answer, charged to the peer when refused */
  respond (entry: RegisteredMethod, request: SignedEnvelope, ctx: RpcContext): Promise<RpcResponse>
  /** a refused request's answer, charged to the peer */
  errorResponse (e: Error, remotePeer: PeerId, protocol: string): RpcResponse
}

/** A method as registered: its resolved limits and its per-peer rate limiter (shared by every path in). */
export interface RegisteredMethod {
  method: RpcMethod
  limits: RpcLimits
  limiter: RateLimiter
  server: MethodResponder
}

/** What a caller needs of libp2p: the connection manager fits. */
export interface RpcDialer {
  openStream (peer: PeerId, protocol: string, options: { signal: AbortSignal, maxOutboundStreams?: number, negotiateFully?: boolean }): Promise<Stream>
}

export interface RpcCallOptions {
  signal?: AbortSignal
  /** the protocol table's timeout for the protocol unless given */
  timeoutMs?: number
  maxResponseBytes?: number
}

export interface SessionCallOptions extends RpcCallOptions {
  /**
   * asks the server to drop the request but still waits for its answer, which is either the result
   * (it was already done) or RpcTimeoutError: for a request whose effect must not be lost (a claim)
   */
  withdraw?: AbortSignal
}
