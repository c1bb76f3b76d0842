// How length-prefixed frames fail on a libp2p stream, told apart by error name: the stream ended,
// the remote went away, or the frame was too long or did not decode. Shared by both ends of the
// fresh-stream protocols (reqresp.ts) and of sessions (session.ts).
import { MalformedMessageError, MessageTooLargeError } from '../errors/index.js'

/** varint length prefix of the largest frame, plus slack: what a stream may buffer beyond one frame */
export const LENGTH_PREFIX_SLACK = 16

/** a session frame's fields around the request envelope or response it carries */
export const SESSION_FRAME_SLACK = 1024

/** Stream failures caused by the remote going away: nothing to answer, nothing to charge. */
export const STREAM_GONE: ReadonlySet<string> = new Set(['StreamResetError', 'StreamAbortedError', 'StreamClosedError', 'StreamStateError', 'ConnectionClosedError', 'MuxerClosedError'])

/** names of the errors a frame read ends with when the remote closed its side cleanly */
const END_OF_STREAM: ReadonlySet<string> = new Set(['UnexpectedEOFError', 'StreamClosedError'])

/** the read found the stream ended between frames: the remote is done sending */
export function isEndOfStream (err: Error): boolean {
  return END_OF_STREAM.has(err.name)
}

/** the frame was longer than allowed, or would have overrun the stream's buffer */
export function isOversized (err: Error): boolean {
  return err.name === 'InvalidDataLengthError' || err.name === 'InvalidMessageLengthError' || err.name === 'InvalidDataLengthLengthError' || err.name === 'StreamBufferError'
}

export function toError (err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}

/** Frames that do not decode, or are too long, become one typed error; the stream's own pass through. */
export function asWireError (err: unknown): Error {
  const e = toError(err)
  if (isOversized(e)) return new MessageTooLargeError(e.message)
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || STREAM_GONE.has(e.name)) return e
  return new MalformedMessageError(`request frame: ${e.message}`)
}
