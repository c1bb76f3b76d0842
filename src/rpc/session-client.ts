// The caller side of session streams (session-server.ts serves them): one long-lived stream per
// peer carries many requests, each answered in any order. A worker talks to its coordinator
// several times per job (claim, lease, result): those go here.
import { pbStream } from '@libp2p/utils'
import type { PeerId, Stream } from '@libp2p/interface'
import { SignedEnvelope } from '../wire/pb/envelope.js'
import { SessionFrame, type RpcResponse } from '../wire/pb/rpc.js'
import { errorFromName, RpcTimeoutError, SessionClosedError } from '../errors/index.js'
import { DEFAULT_RPC_LIMITS } from './limits.js'
import { ProtocolTable, callerTimeoutMs } from './protocol-table.js'
import { LENGTH_PREFIX_SLACK, SESSION_FRAME_SLACK, isEndOfStream, toError } from './framing.js'
import type { RpcDialer, SessionCallOptions } from './types.js'

const SESSION = ProtocolTable.session

interface Pending {
  resolve: (r: RpcResponse) => void
  reject: (e: Error) => void
}

/** One caller-side session stream to one peer. */
class ClientSession {
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private readonly pb: ReturnType<typeof pbStream>
  private writing: Promise<void> = Promise.resolve()
  private idleTimer?: ReturnType<typeof setTimeout>
  closed = false

  constructor (private readonly stream: Stream, private readonly peer: string, maxResponseBytes: number, private readonly onClose: () => void) {
    this.pb = pbStream(stream, { maxDataLength: maxResponseBytes + SESSION_FRAME_SLACK, maxBufferSize: maxResponseBytes + SESSION_FRAME_SLACK + LENGTH_PREFIX_SLACK })
    void this.readLoop()
    this.armIdle()
  }

  get open (): number { return this.pending.size }

  private armIdle (): void {
    if (this.idleTimer != null) clearTimeout(this.idleTimer)
    if (this.pending.size > 0 || this.closed) return
    this.idleTimer = setTimeout(() => { if (this.pending.size === 0) void this.close() }, SESSION.idleMs)
    this.idleTimer.unref?.()
  }

  private async readLoop (): Promise<void> {
    let reason: Error = new SessionClosedError('session closed by the peer')
    try {
      for (;;) {
        const frame = await this.pb.read(SessionFrame)
        const p = this.pending.get(frame.id)
        if (p == null || frame.response == null) continue
        this.pending.delete(frame.id)
        p.resolve(frame.response)
        this.armIdle()
      }
    } catch (err) {
      const e = toError(err)
      if (!isEndOfStream(e)) reason = new SessionClosedError(`session broke: ${e.name}: ${e.message}`)
    }
    this.fail(reason)
  }

  private fail (reason: Error): void {
    if (this.idleTimer != null) clearTimeout(this.idleTimer)
    if (!this.closed) {
      this.closed = true
      this.onClose()
    }
    for (const p of this.pending.values()) p.reject(reason)
    this.pending.clear()
    if (this.stream.status === 'open') this.stream.abort(reason)
  }

  private async write (frame: SessionFrame): Promise<void> {
    this.writing = this.writing.then(async () => { await this.pb.write(frame, SessionFrame) })
    await this.writing
  }

  /**
   * One request. Timed with a plain timer and the caller's signal watched directly: no composite
   * AbortSignals per call (their weak references made the worker's young-generation GC slow).
   */
  async call (protocol: string, request: SignedEnvelope, options: { timeoutMs: number, signal?: AbortSignal, withdraw?: AbortSignal }): Promise<RpcResponse> {
    if (this.closed) throw new SessionClosedError('session is closed')
    if (this.idleTimer != null) clearTimeout(this.idleTimer)
    const id = this.nextId
    this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1
    const { signal, withdraw, timeoutMs } = options
    const sendCancel = (): void => {
      if (this.pending.has(id) && !this.closed) void this.write({ id, protocol: '', cancel: true }).catch(() => {})
    }
    try {
      return await new Promise<RpcResponse>((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          withdraw?.removeEventListener('abort', sendCancel)
        }
        const giveUp = (err: Error): void => {
          if (!this.pending.has(id)) return
          sendCancel()
          this.pending.delete(id)
          done()
          reject(err)
        }
        const onAbort = (): void => { giveUp(signal?.reason instanceof Error ? signal.reason : new RpcTimeoutError('call aborted')) }
        this.pending.set(id, { resolve: r => { done(); resolve(r) }, reject: e => { done(); reject(e) } })
        const timer = setTimeout(() => { giveUp(new RpcTimeoutError(`${protocol} to ${this.peer} timed out after ${timeoutMs} ms`)) }, timeoutMs)
        if (signal?.aborted === true) { onAbort(); return }
        signal?.addEventListener('abort', onAbort, { once: true })
        withdraw?.addEventListener('abort', sendCancel, { once: true })
        this.write({ id, protocol, request, cancel: false }).catch(err => {
          this.fail(new SessionClosedError(`session broke: ${toError(err).message}`))
        })
      })
    } finally {
      this.armIdle()
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.onClose()
    await this.stream.close({ signal: AbortSignal.timeout(5_000) }).catch(err => { this.stream.abort(toError(err)) })
  }
}

/**
 * The caller side: one session per peer, opened on first use and closed when idle. A peer that does
 * not serve sessions (an older node) is called on fresh streams instead, through `fallback`.
 */
export class SessionClient {
  private readonly sessions = new Map<string, Promise<ClientSession>>()
  /** peers that refused the session protocol, until when */
  private readonly unsupported = new Map<string, number>()

  constructor (
    private readonly dialer: RpcDialer,
    private readonly fallback: (peer: PeerId, protocol: string, request: SignedEnvelope, options: SessionCallOptions) => Promise<Uint8Array>,
    private readonly maxResponseBytes = DEFAULT_RPC_LIMITS.maxResponseBytes
  ) {}

  /** Whether calls to `peer` go over a session (false after it refused one, for a while). */
  supports (peer: PeerId): boolean {
    const until = this.unsupported.get(peer.toString())
    return until == null || until < Date.now()
  }

  async call (peer: PeerId, protocol: string, request: SignedEnvelope, options: SessionCallOptions = {}): Promise<Uint8Array> {
    if (!this.supports(peer)) return await this.fallback(peer, protocol, request, options)
    const timeoutMs = Math.max(1, Math.ceil(options.timeoutMs ?? callerTimeoutMs(protocol) ?? DEFAULT_RPC_LIMITS.timeoutMs))
    let session: ClientSession
    try {
      session = await this.session(peer, options.signal, timeoutMs)
    } catch (err) {
      const e = toError(err)
      if (e.name === 'UnsupportedProtocolError') {
        this.unsupported.set(peer.toString(), Date.now() + SESSION.fallbackMs)
        return await this.fallback(peer, protocol, request, options)
      }
      throw e
    }
    const response = await session.call(protocol, request, { timeoutMs, signal: options.signal, withdraw: options.withdraw })
    if (response.errorName !== '') throw errorFromName(response.errorName, response.errorMessage)
    return response.body
  }

  private async session (peer: PeerId, caller: AbortSignal | undefined, timeoutMs: number): Promise<ClientSession> {
    const id = peer.toString()
    let s = this.sessions.get(id)
    if (s != null) {
      const live = await s.catch(() => undefined)
      if (live != null && !live.closed) return live
      if (this.sessions.get(id) === s) this.sessions.delete(id)
    }
    s = (async () => {
      // opening is rare (once per peer while in use): composite signals are fine here
      const timeout = AbortSignal.timeout(timeoutMs)
      const signal = caller != null ? AbortSignal.any([caller, timeout]) : timeout
      let stream: Stream
      try {
        stream = await this.dialer.openStream(peer, SESSION.id, { signal, maxOutboundStreams: SESSION.limits.maxInboundStreams })
      } catch (err) {
        if (timeout.aborted && caller?.aborted !== true) throw new RpcTimeoutError(`session to ${id} timed out after ${timeoutMs} ms`)
        throw err
      }
      return new ClientSession(stream, id, this.maxResponseBytes, () => { if (this.sessions.get(id) === s) this.sessions.delete(id) })
    })()
    this.sessions.set(id, s)
    s.catch(() => { if (this.sessions.get(id) === s) this.sessions.delete(id) })
    return await s
  }

  /** Closes every session (the node is stopping). */
  async close (): Promise<void> {
    const all = [...this.sessions.values()]
    this.sessions.clear()
    await Promise.allSettled(all.map(async s => { await (await s).close() }))
  }
}
