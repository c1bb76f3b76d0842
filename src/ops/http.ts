// HTTP side of operations, served by the daemon's control server.
//   /health, /ready, /status, /metrics   no credential: for probes and Prometheus on the same host
//                                        (the server binds loopback unless --http says otherwise)
//   /v1/ops/..., /v1/backup              bearer credential, like the rest of /v1
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { EdgecoderNode } from '../node/create-node.js'
import type { OperatorAction } from './operator-state.js'
import { createBackup } from './backup.js'
import { InvalidArgumentError } from '../errors/index.js'
import { AdminAction } from '../wire/pb/admission.js'
import { NotCoordinatorError } from '../errors/index.js'

const PUBLIC = new Set(['/health', '/ready', '/status', '/metrics'])

/** The unauthenticated probes; returns false for any other path. */
export async function handleOpsPublic (node: EdgecoderNode, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname
  if (req.method !== 'GET' || !PUBLIC.has(path)) return false
  try {
    switch (path) {
      case '/health':
        send(res, node.ops.live ? 200 : 503, { status: node.ops.live ? 'ok' : 'stopping', peerId: node.peerId.toString(), role: node.role })
        return true
      case '/ready': {
        const r = await node.ops.ready()
        send(res, r.ready ? 200 : 503, r)
        return true
      }
      case '/status':
        send(res, 200, { ...(await node.ops.status()), meshId: node.meshId })
        return true
      default: {
        const m = await node.ops.metrics.text()
        res.writeHead(200, { 'content-type': m.contentType, 'content-length': Buffer.byteLength(m.body) })
        res.end(m.body)
        return true
      }
    }
  } catch (err) {
    fail(res, err as Error)
    return true
  }
}

/** /v1/ops/* and /v1/backup; returns false for any other path. */
export async function handleOpsApi (node: EdgecoderNode, req: IncomingMessage, res: ServerResponse, readJson: (req: IncomingMessage) => Promise<unknown>): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const parts = url.pathname.split('/').filter(Boolean)
  if (parts[0] !== 'v1' || (parts[1] !== 'ops' && parts[1] !== 'backup')) return false
  const method = req.method ?? 'GET'
  const limit = (): number => {
    const v = url.searchParams.get('limit')
    if (v == null) return 100
    if (!/^\d{1,6}$/.test(v)) throw new InvalidArgumentError('--limit must be a whole number')
    return Number(v)
  }
  try {
    if (parts[1] === 'backup' && method === 'POST' && parts.length === 2) {
      await streamBackup(node, req, res)
      return true
    }
    const op = parts[2] ?? ''
    // with the enrollments awaiting an admin's approval (the runbook's "review pending approvals")
    if (method === 'GET' && op === 'state') { send(res, 200, { state: node.ops.state.toJSON(), history: node.ops.state.history(limit()), awaitingApproval: node.admission.state.nodes('pending').map(n => ({ peerId: n.peerId, role: n.role, label: n.label, since: new Date(n.enrolledAt).toISOString() })) }); return true }
    if (method === 'GET' && op === 'history') { send(res, 200, { history: node.ops.state.history(limit()) }); return true }
    if (method === 'GET' && op === 'nodes') { send(res, 200, { nodes: await node.ops.nodes() }); return true }
    if (method === 'GET' && op === 'dead-letters') { send(res, 200, { deadLetters: await node.ops.deadLetters(limit()) }); return true }
    if (method === 'GET' && op === 'explain' && parts.length === 4) {
      const id = parts[3]
      if (!/^[0-9a-f]{64}$/.test(id)) throw new InvalidArgumentError(`"${id}" is not a job id (64 lowercase hex characters)`)
      send(res, 200, await node.ops.explain(id))
      return true
    }
    if (method === 'POST' && op === 'actions' && parts.length === 3) {
      const action = parseAction(await readJson(req))
      if ((action.kind === 'pause' || action.kind === 'resume') && node.role !== 'coordinator') {
        throw new NotCoordinatorError(`${action.kind} applies to a coordinator's assignments; this node is a ${node.role}`)
      }
      let entry: unknown
      let audit: unknown
      if (node.admission.state.isAdmin(node.peerId.toString())) {
        // a coordinator's own key is an admin key: the action is signed, audited and published,
        // so every coordinator of the mesh applies it (a signed body from the CLI takes /v1/admin/actions)
        const env = await node.admission.signAction(AdminAction.encode({ kind: AdminAction.Kind.OPERATOR, target: 'peer' in action ? action.peer : '', reason: action.kind === 'pause' || action.kind === 'drain' || action.kind === 'isolate' ? action.reason ?? '' : '', untilMs: 0n, value: JSON.stringify(action) }))
        const out = await node.admission.submitAction(env)
        const r = out.result as { error?: { name: string, message: string } } | undefined
        if (r?.error != null) throw Object.assign(new Error(r.error.message), { name: r.error.name })
        entry = out.result
        audit = out.record
      } else {
        // a node without admin authority acts only on itself
        entry = await node.ops.apply(action)
      }
      send(res, 200, { entry, state: node.ops.state.toJSON(), audit })
      return true
    }
    send(res, 404, { error: { name: 'NotFoundError', message: `no route ${method} ${url.pathname}` } })
  } catch (err) {
    if (!res.headersSent) fail(res, err as Error)
    else res.destroy(err as Error)
  }
  return true
}

async function streamBackup (node: EdgecoderNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const abort = new AbortController()
  req.on('close', () => { if (!res.writableFinished) abort.abort() })
  const chunks = createBackup(node, abort.signal)
  // the first chunk takes the snapshot; only then are headers sent
  const first = await chunks.next()
  res.writeHead(200, { 'content-type': 'application/x-ndjson' })
  if (first.done !== true) res.write(first.value)
  for await (const c of chunks) {
    if (!res.write(c)) await new Promise<void>(resolve => res.once('drain', resolve))
  }
  res.end()
}

/** Validates an operator action from JSON. */
export function parseAction (body: unknown): OperatorAction {
  if (body == null || typeof body !== 'object') throw new InvalidArgumentError('an action is a JSON object with "kind"')
  const o = body as Record<string, unknown>
  const optStr = (k: string): string | undefined => {
    if (o[k] == null) return undefined
    if (typeof o[k] !== 'string') throw new InvalidArgumentError(`"${k}" must be a string`)
    return o[k]
  }
  const peer = (): string => {
    const p = optStr('peer')
    if (p == null || p === '') throw new InvalidArgumentError(`${String(o.kind)} needs "peer"`)
    return p
  }
  const optNum = (v: unknown, k: string): number | undefined => {
    if (v == null) return undefined
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`"${k}" must be a number`)
    return v
  }
  switch (o.kind) {
    case 'pause': return { kind: 'pause', reason: optStr('reason') }
    case 'resume': {
      if (o.staged == null || o.staged === false) return { kind: 'resume' }
      const s = (o.staged === true ? {} : o.staged) as Record<string, unknown>
      if (typeof s !== 'object') throw new InvalidArgumentError('"staged" must be true or an object')
      return { kind: 'resume', staged: { initialPerSec: optNum(s.initialPerSec, 'staged.initialPerSec'), stepMs: optNum(s.stepMs, 'staged.stepMs'), steps: optNum(s.steps, 'staged.steps') } }
    }
    case 'drain': return { kind: 'drain', peer: peer(), reason: optStr('reason') }
    case 'isolate': return { kind: 'isolate', peer: peer(), forMs: optNum(o.forMs, 'forMs'), reason: optStr('reason') }
    case 'return': return { kind: 'return', peer: peer() }
    default: throw new InvalidArgumentError('"kind" must be pause, resume, drain, isolate or return')
  }
}

function statusOf (err: Error): number {
  if (['UnknownNodeError', 'JobNotFoundError'].includes(err.name)) return 404
  if (['InvalidArgumentError', 'NotCoordinatorError'].includes(err.name)) return 400
  return 500
}

function fail (res: ServerResponse, err: Error): void {
  send(res, statusOf(err), { error: { name: err.name, message: err.message } })
}

function send (res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v)
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
