// Request/response and sessions: timeouts, rate limits, a broken session, an error of a remote peer.
import { EdgecoderError } from './base.js'

export class RpcTimeoutError extends EdgecoderError { override name = 'RpcTimeoutError' }
export class RateLimitedError extends EdgecoderError { override name = 'RateLimitedError' }
/** a session stream (src/rpc/session.ts) ended with the request still open: it may be retried */
export class SessionClosedError extends EdgecoderError { override name = 'SessionClosedError' }
export class RemoteError extends EdgecoderError { override name = 'RemoteError' }
export class NoCoordinatorError extends EdgecoderError { override name = 'NoCoordinatorError' }
