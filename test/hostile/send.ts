// Sending one hostile frame to a live node and classifying what comes back (answered, refused with
// a typed error, or cut off), for request/response, session and library protocols. Any untyped
// error from the victim fails the caller's test.
import assert from 'node:assert/strict'
import { pbStream } from '@libp2p/utils'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { RpcResponse, SessionFrame } from '../../src/wire/pb/rpc.js'
import { errorClasses } from '../../src/errors/index.js'
import { protocolClass, type FrameCase } from './frames.js'

/** answered (or, for a library protocol, negotiated and written to), refused with a typed error, or cut off */
export type Outcome = 'answered' | 'typed-error' | 'aborted'

/** A stream for one case, straight on the open connection: a fresh dial per frame would measure the dialer, not the handlers. */
async function openCaseStream (attacker: Libp2p, target: PeerId, c: FrameCase, signal: AbortSignal): Promise<Stream | undefined> {
  try {
    const conn = attacker.getConnections(target)[0] ?? await attacker.dial(target, { signal })
    return await conn.newStream(c.protocol, { signal, maxOutboundStreams: 4096, negotiateFully: false })
  } catch {
    return undefined
  }
}

/** Opens a stream, writes `wire`, half-closes, and classifies what comes back. Fails on an untyped error. */
export async function sendCase (attacker: Libp2p, target: PeerId, c: FrameCase, timeoutMs: number): Promise<{ outcome: Outcome, errorName?: string }> {
  const signal = AbortSignal.timeout(timeoutMs)
  const stream = await openCaseStream(attacker, target, c, signal)
  if (stream == null) return { outcome: 'aborted' }
  const pb = pbStream(stream, { maxDataLength: 1024 * 1024 })
  try {
    if (c.wire.byteLength > 0 && !stream.send(c.wire)) await stream.onDrain({ signal })
    await stream.close({ signal })
    const res = await pb.read(RpcResponse, { signal })
    if (res.errorName === '') return { outcome: 'answered' }
    assert.ok(errorClasses[res.errorName] != null && res.errorName !== 'RemoteError', `${c.protocol} ${c.what}: untyped error ${res.errorName}: ${res.errorMessage}`)
    return { outcome: 'typed-error', errorName: res.errorName }
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err
    if (signal.aborted) throw new Error(`${c.protocol} ${c.what}: no answer and no abort within ${timeoutMs} ms`)
    stream.abort(err as Error)
    return { outcome: 'aborted' }
  }
}

/** The answer to one session stream of hostile frames: every response frame carries success or a typed error. */
async function sendSessionCase (attacker: Libp2p, target: PeerId, c: FrameCase, timeoutMs: number): Promise<{ outcome: Outcome, errorName?: string }> {
  const signal = AbortSignal.timeout(timeoutMs)
  const stream = await openCaseStream(attacker, target, c, signal)
  if (stream == null) return { outcome: 'aborted' }
  const pb = pbStream(stream, { maxDataLength: 1024 * 1024 })
  const errors: string[] = []
  let answered = 0
  try {
    if (c.wire.byteLength > 0 && !stream.send(c.wire)) await stream.onDrain({ signal })
    await stream.close({ signal })
    // the server answers what it could read, then closes (or aborts on a broken frame)
    for (;;) {
      const frame = await pb.read(SessionFrame, { signal })
      const res = frame.response
      assert.ok(res != null, `${c.protocol} ${c.what}: a session frame from the server without a response`)
      if (res.errorName === '') { answered++; continue }
      assert.ok(errorClasses[res.errorName] != null && res.errorName !== 'RemoteError', `${c.protocol} ${c.what}: untyped error ${res.errorName}: ${res.errorMessage}`)
      errors.push(res.errorName)
    }
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err
    if (signal.aborted) throw new Error(`${c.protocol} ${c.what}: no answer and no end within ${timeoutMs} ms`)
    stream.abort(err as Error)
  }
  if (errors.length > 0) return { outcome: 'typed-error', errorName: errors[0] }
  return { outcome: answered > 0 ? 'answered' : 'aborted' }
}

/** Garbage on a library's protocol: negotiated in full first, so "answered" means the victim took the stream. */
async function sendLibraryCase (attacker: Libp2p, target: PeerId, c: FrameCase, timeoutMs: number): Promise<{ outcome: Outcome }> {
  const signal = AbortSignal.timeout(timeoutMs)
  let stream: Stream
  try {
    const conn = attacker.getConnections(target)[0] ?? await attacker.dial(target, { signal })
    stream = await conn.newStream(c.protocol, { signal, maxOutboundStreams: 4096, negotiateFully: true })
  } catch {
    return { outcome: 'aborted' }
  }
  try {
    if (c.wire.byteLength > 0 && !stream.send(c.wire)) await stream.onDrain({ signal })
    await stream.close({ signal: AbortSignal.timeout(500) })
  } catch {}
  // these streams need not end on their own (gossipsub keeps its inbound ones): give up after a moment
  if (stream.status === 'open') stream.abort(new Error('done'))
  return { outcome: 'answered' }
}

/** One hostile frame, sent the way its protocol is spoken. */
export async function sendFrame (attacker: Libp2p, target: PeerId, c: FrameCase, timeoutMs: number): Promise<{ outcome: Outcome, errorName?: string }> {
  switch (protocolClass(c.protocol)) {
    case 'session': return await sendSessionCase(attacker, target, c, timeoutMs)
    case 'library': return await sendLibraryCase(attacker, target, c, timeoutMs)
    default: return await sendCase(attacker, target, c, timeoutMs)
  }
}
