// The serving side of session streams: many request/response exchanges on one long-lived stream
// per caller. A fresh stream per request costs a yamux open, a multistream-select round trip and a
// peer-store write at both ends — most of a short job's cost and latency. Each request is the same
// signed envelope its own stream would carry, run through the same RpcServer.respond (rate limit,
// handler, typed errors, peer penalties); only the framing differs (rpc.proto SessionFrame).
import { pbStream } from '@libp2p/utils'
import type { Connection, Stream, Logger, ComponentLogger, Metrics, Counter } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'
import { SignedEnvelope } from '../wire/pb/envelope.js'
import { SessionFrame, type RpcResponse } from '../wire/pb/rpc.js'
import { MalformedMessageError, RateLimitedError, RpcTimeoutError, SessionClosedError } from '../errors/index.js'
import { ProtocolTable } from './protocol-table.js'
import { LENGTH_PREFIX_SLACK, SESSION_FRAME_SLACK, isEndOfStream, toError } from './framing.js'
import type { PeerGuard } from './peer-guard.js'
import type { RegisteredMethod } from './types.js'

const SESSION = ProtocolTable.session

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
    await this.components.registrar.handle(SESSION.id, (stream, connection) => {
      void this.serve(stream, connection)
    }, { maxInboundStreams: SESSION.limits.maxInboundStreams, maxOutboundStreams: SESSION.limits.maxInboundStreams })
  }

  async remove (protocol: string): Promise<void> {
    if (!this.methods.delete(protocol) || this.methods.size > 0 || !this.handling) return
    this.handling = false
    await this.components.registrar.unhandle(SESSION.id)
  }

  private maxRequestBytes (): number {
    let max = 0
    for (const e of this.methods.values()) max = Math.max(max, e.limits.maxRequestBytes)
    return max + SESSION_FRAME_SLACK
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
    const pb = pbStream(stream, { maxDataLength: max, maxBufferSize: max + LENGTH_PREFIX_SLACK })
    // responses go out one at a time, in the order they are ready
    let writing: Promise<void> = Promise.resolve()
    const send = (id: number, response: RpcResponse): void => {
      this.framesOut?.increment()
      writing = writing.then(async () => { await pb.write({ id, protocol: '', response, cancel: false }, SessionFrame, { signal: closed.signal }) })
        .catch(err => { closed.abort(err) })
    }
    let lastActive = Date.now()
    const idle = setInterval(() => {
      if (open.size === 0 && Date.now() - lastActive > 2 * SESSION.idleMs) closed.abort(new RpcTimeoutError('session idle'))
    }, SESSION.idleMs / 2)
    idle.unref?.()
    try {
      for (;;) {
        let frame: SessionFrame
        try {
          frame = await pb.read(SessionFrame, { signal: closed.signal })
        } catch (err) {
          const e = toError(err)
          // the caller closing its side ends the session; anything else is a broken or hostile frame
          if (closed.signal.aborted || isEndOfStream(e)) break
          guard.reject(remotePeer, SESSION.id, e.name === 'InvalidDataLengthError' || e.name === 'StreamBufferError' ? 'MessageTooLargeError' : 'MalformedMessageError')
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
        const refuse = (e: Error): void => { send(frame.id, server.errorResponse(e, remotePeer, frame.protocol === '' ? SESSION.id : frame.protocol.slice(0, 100))) }
        if (guard.isBanned(remotePeer)) { refuse(new RateLimitedError('peer is banned')); break }
        if (entry == null) { refuse(new MalformedMessageError(`protocol ${frame.protocol.slice(0, 100)} is not served on sessions`)); continue }
        if (frame.request == null) { refuse(new MalformedMessageError('session frame carries no request')); continue }
        if (open.has(frame.id)) { refuse(new MalformedMessageError(`request id ${frame.id} is already open`)); continue }
        if (open.size >= SESSION.maxOpenRequests) { refuse(new RateLimitedError(`more than ${SESSION.maxOpenRequests} open requests on one session`)); continue }
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
      const e = toError(err)
      this.log('session from %p ended: %s', remotePeer, e.message)
      stream.abort(e)
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

