// Session streams: many request/response exchanges on one long-lived stream per caller and peer.
// A fresh stream per request costs a yamux open, a multistream-select round trip and a peer-store
// write at both ends — most of a short job's cost and latency. A worker talks to its coordinator
// several times per job (claim, lease, result), so those methods are also served here. Each request
// is the same signed envelope its own stream would carry, run through the same RpcServer.respond
// (rate limit, handler, typed errors, peer penalties); only the framing differs (rpc.proto).
import { pbStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream, Logger, ComponentLogger, Metrics, Counter } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'
import { SignedEnvelope } from '../wire/pb/envelope.js'
import { SessionFrame, type RpcResponse } from '../wire/pb/rpc.js'
import { errorFromName, MalformedMessageError, RateLimitedError, RpcTimeoutError, SessionClosedError } from '../errors/index.js'
import { Protocols } from '../wire/domains.js'
import type { PeerGuard } from './peer-guard.js'
import type { RegisteredMethod, RpcDialer } from './reqresp.js'

/** requests one session may have open at once at the serving side */
export const MAX_SESSION_REQUESTS = 256
/** a session with nothing open for this long is closed (by the caller; the server allows twice as long) */
export const SESSION_IDLE_MS = 60_000
/** varint length prefix and frame fields around a request envelope */
const FRAME_SLACK = 1024

interface RouterComponents {
  registrar: Registrar
  logger: ComponentLogger
  metrics?: Metrics
}

/**
 * The serving side, one per node (keyed by its registrar): the methods every RpcServer of the node
 * offers on sessions, and the session protocol's handler while there is at least one.
 */
export class SessionRouter {
  private readonly log: Logger
  private readonly methods = new Map<string, RegisteredMethod>()
  private handling = false
  private readonly framesIn?: Counter
  private readonly framesOut?: Counter
  private readonly sessions?: Counter

  constructor (private readonly components: RouterComponents, private readonly guard: () => PeerGuard) {
    this.log = components.logger.forComponent('edgecoder:rpc:session')
    // a session's frames are its messages: counted here, since libp2p counts streams only
    this.framesIn = components.metrics?.registerCounter('edgecoder_rpc_session_frames_received_total', { help: 'request and cancel frames received on session streams' })
    this.framesOut = components.metrics?.registerCounter('edgecoder_rpc_session_frames_sent_total', { help: 'response frames sent on session streams' })
    this.sessions = components.metrics?.registerCounter('edgecoder_rpc_sessions_total', { help: 'session streams accepted' })
  }

  async add (entry: RegisteredMethod): Promise<void> {
    this.methods.set(entry.method.protocol, entry)
    if (this.handling) return
    this.handling = true
    await this.components.registrar.handle(Protocols.session, (stream, connection) => {
      void this.serve(stream, connection)
    }, { maxInboundStreams: 4, maxOutboundStreams: 4 })
  }

  async remove (protocol: string): Promise<void> {
    if (!this.methods.delete(protocol) || this.methods.size > 0 || !this.handling) return
    this.handling = false
    await this.components.registrar.unhandle(Protocols.session)
  }

  private maxRequestBytes (): number {
    let max = 0
    for (const e of this.methods.values()) max = Math.max(max, e.limits.maxRequestBytes)
    return max + FRAME_SLACK
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const remotePeer = connection.remotePeer
    const guard = this.guard()
    if (guard.admit(remotePeer) !== 'ok') {
      stream.abort(new RateLimitedError('peer is banned or holds too many streams'))
      return
    }
    this.sessions?.increment()
    const closed = new AbortController()
    // each open request: its own controller (cancel frame, timeout, session end) and its timer. No
    // AbortSignal.any/timeout per request: composite signals are weak-ref bookkeeping the GC pays for
    const open = new Map<number, { cancel: AbortController, timer: ReturnType<typeof setTimeout> }>()
    // the answers still being worked out: awaited before the session closes
    const answering = new Set<Promise<void>>()
    const max = this.maxRequestBytes()
    const pb = pbStream(stream, { maxDataLength: max, maxBufferSize: max + 16 })
    // responses go out one at a time, in the order they are ready
    let writing: Promise<void> = Promise.resolve()
    const send = (id: number, response: RpcResponse): void => {
      this.framesOut?.increment()
      writing = writing.then(async () => { await pb.write({ id, protocol: '', response, cancel: false }, SessionFrame, { signal: closed.signal }) })
        .catch(err => { closed.abort(err) })
    }
    let lastActive = Date.now()
    const idle = setInterval(() => {
      if (open.size === 0 && Date.now() - lastActive > 2 * SESSION_IDLE_MS) closed.abort(new RpcTimeoutError('session idle'))
    }, SESSION_IDLE_MS / 2)
    idle.unref?.()
    try {
      for (;;) {
        let frame: SessionFrame
        try {
          frame = await pb.read(SessionFrame, { signal: closed.signal })
        } catch (err) {
          const e = err as Error
          // the caller closing its side ends the session; anything else is a broken or hostile frame
          if (closed.signal.aborted || e.name === 'UnexpectedEOFError' || /end of|ended/i.test(e.message)) break
          guard.reject(remotePeer, Protocols.session, e.name === 'InvalidDataLengthError' || e.name === 'StreamBufferError' ? 'MessageTooLargeError' : 'MalformedMessageError')
          throw e
        }
        lastActive = Date.now()
        this.framesIn?.increment()
        if (frame.cancel) {
          open.get(frame.id)?.cancel.abort(new RpcTimeoutError('cancelled by the caller'))
          continue
        }
        const entry = this.methods.get(frame.protocol)
        const server = entry?.server ?? this.methods.values().next().value?.server
        // the node is stopping: nothing is served any more
        if (server == null) break
        const refuse = (e: Error): void => { send(frame.id, server.errorResponse(e, remotePeer, frame.protocol === '' ? Protocols.session : frame.protocol.slice(0, 100))) }
        if (guard.isBanned(remotePeer)) { refuse(new RateLimitedError('peer is banned')); break }
        if (entry == null) { refuse(new MalformedMessageError(`protocol ${frame.protocol.slice(0, 100)} is not served on sessions`)); continue }
        if (frame.request == null) { refuse(new MalformedMessageError('session frame carries no request')); continue }
        if (open.has(frame.id)) { refuse(new MalformedMessageError(`request id ${frame.id} is already open`)); continue }
        if (open.size >= MAX_SESSION_REQUESTS) { refuse(new RateLimitedError(`more than ${MAX_SESSION_REQUESTS} open requests on one session`)); continue }
        const cancel = new AbortController()
        const timer = setTimeout(() => { cancel.abort(new RpcTimeoutError('request timed out')) }, entry.limits.timeoutMs)
        open.set(frame.id, { cancel, timer })
        const deadline = Date.now() + entry.limits.timeoutMs
        const request: SignedEnvelope = frame.request
        const id = frame.id
        const answer = entry.server.respond(entry, request, { remotePeer, connection, signal: cancel.signal, deadline, session: true })
          .then(response => {
            clearTimeout(timer)
            open.delete(id)
            lastActive = Date.now()
            if (!closed.signal.aborted) send(id, response)
          })
          .finally(() => { answering.delete(answer) })
        answering.add(answer)
      }
      // the caller is done sending: answer what is open (unless the session broke meanwhile), then close
      const broke = new Promise<void>(resolve => { closed.signal.addEventListener('abort', () => { resolve() }, { once: true }) })
      if (!closed.signal.aborted) await Promise.race([Promise.allSettled([...answering]), broke])
      await writing
      if (closed.signal.aborted) stream.abort(closed.signal.reason instanceof Error ? closed.signal.reason : new SessionClosedError('session closed'))
      else await stream.close({ signal: AbortSignal.timeout(5_000) })
    } catch (err) {
      this.log('session from %p ended: %s', remotePeer, (err as Error).message)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      clearInterval(idle)
      closed.abort(new SessionClosedError('session closed'))
      for (const o of open.values()) { clearTimeout(o.timer); o.cancel.abort(new SessionClosedError('session closed')) }
      guard.release(remotePeer)
    }
  }
}

const routers = new WeakMap<Registrar, SessionRouter>()

/** The node's session router (one per registrar, shared by every RpcServer of the node). */
export function sessionRouterOf (components: RouterComponents, guard: () => PeerGuard): SessionRouter {
  let r = routers.get(components.registrar)
  if (r == null) {
    r = new SessionRouter(components, guard)
    routers.set(components.registrar, r)
  }
  return r
}

export interface SessionCallOptions {
  /** gives up at once: the request is cancelled and the call rejects */
  signal?: AbortSignal
  timeoutMs?: number
  maxResponseBytes?: number
  /**
   * asks the server to drop the request but still waits for its answer, which is either the result
   * (it was already done) or RpcTimeoutError: for a request whose effect must not be lost (a claim)
   */
  withdraw?: AbortSignal
}

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
    this.pb = pbStream(stream, { maxDataLength: maxResponseBytes + FRAME_SLACK, maxBufferSize: maxResponseBytes + FRAME_SLACK + 16 })
    void this.readLoop()
    this.armIdle()
  }

  get open (): number { return this.pending.size }

  private armIdle (): void {
    if (this.idleTimer != null) clearTimeout(this.idleTimer)
    if (this.pending.size > 0 || this.closed) return
    this.idleTimer = setTimeout(() => { if (this.pending.size === 0) void this.close() }, SESSION_IDLE_MS)
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
      const e = err as Error
      if (!(e.name === 'UnexpectedEOFError' || /end of|ended/i.test(e.message))) reason = new SessionClosedError(`session broke: ${e.name}: ${e.message}`)
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
          this.fail(new SessionClosedError(`session broke: ${(err as Error).message}`))
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
    await this.stream.close({ signal: AbortSignal.timeout(5_000) }).catch(err => { this.stream.abort(err as Error) })
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
    private readonly maxResponseBytes = 8 * 1024 * 1024
  ) {}

  /** Whether calls to `peer` go over a session (false after it refused one, for a while). */
  supports (peer: PeerId): boolean {
    const until = this.unsupported.get(peer.toString())
    return until == null || until < Date.now()
  }

  async call (peer: PeerId, protocol: string, request: SignedEnvelope, options: SessionCallOptions = {}): Promise<Uint8Array> {
    if (!this.supports(peer)) return await this.fallback(peer, protocol, request, options)
    const timeoutMs = Math.max(1, Math.ceil(options.timeoutMs ?? 10_000))
    let session: ClientSession
    try {
      session = await this.session(peer, options.signal, timeoutMs)
    } catch (err) {
      const e = err as Error
      if (e.name === 'UnsupportedProtocolError') {
        this.unsupported.set(peer.toString(), Date.now() + 5 * 60_000)
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
        stream = await this.dialer.openStream(peer, Protocols.session, { signal, maxOutboundStreams: 4 })
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
