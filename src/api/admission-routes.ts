// Control API routes for admission and authority: registration tokens, the node registry, the
// blacklist, signed admin actions, policy and the audit log. Admin actions arrive already signed
// (by the CLI, with the admin's key): the daemon checks them like any other before applying.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { EdgecoderNode } from '../node/create-node.js'
import { envelopeFromBase64 } from '../admission/admin-actions.js'
import type { NodeStatus } from '../admission/admission-state.js'
import type { TokenRecord } from '../admission/tokens.js'
import { InvalidArgumentError } from '../errors/index.js'
import { policyShow } from './policy-view.js'

export interface RouteIo {
  send: (res: ServerResponse, code: number, body: unknown) => void
  readJson: (req: IncomingMessage) => Promise<unknown>
}

const STATUSES: readonly NodeStatus[] = ['pending', 'active', 'rejected']

/** A token record as shown to the admin: never its hash. */
function shown ({ hash: _hash, ...rest }: TokenRecord): Omit<TokenRecord, 'hash'> { return rest }

/** Handles /v1/tokens, /v1/nodes, /v1/blacklist, /v1/admin/...; false when the path is not ours. */
export async function handleAdmissionRoute (node: EdgecoderNode, req: IncomingMessage, parts: string[], q: URLSearchParams, res: ServerResponse, io: RouteIo): Promise<boolean> {
  const state = node.admission.state
  const method = req.method ?? 'GET'
  const [v1, area, a, b] = parts
  if (v1 !== 'v1') return false
  const coordinatorOnly = (): void => {
    if (node.role !== 'coordinator') throw new InvalidArgumentError(`this is a ${node.role}: tokens and enrollments live on coordinators`)
  }
  if (area === 'tokens') {
    coordinatorOnly()
    if (method === 'POST' && a == null) {
      const body = await io.readJson(req) as { label?: unknown, uses?: unknown, ttlMs?: unknown, autoApprove?: unknown }
      if (body.label !== undefined && typeof body.label !== 'string') throw new InvalidArgumentError('label must be a string')
      if (body.ttlMs !== undefined && (typeof body.ttlMs !== 'number' || !Number.isSafeInteger(body.ttlMs) || body.ttlMs < 1000)) throw new InvalidArgumentError('--expires must be at least 1s')
      const { token, record } = await state.tokens.create({ label: body.label, maxUses: body.uses as number | undefined, ttlMs: body.ttlMs as number | undefined, autoApprove: body.autoApprove === true })
      io.send(res, 201, { token, ...shown(record) })
      return true
    }
    if (method === 'GET' && a == null) {
      io.send(res, 200, { tokens: (await state.tokens.list()).map(shown) })
      return true
    }
    if (method === 'POST' && a != null && b === 'revoke') {
      io.send(res, 200, shown(await state.tokens.revoke(a)))
      return true
    }
  }
  if (area === 'nodes' && method === 'GET' && a == null) {
    const status = q.get('status') ?? undefined
    if (status != null && !(STATUSES as readonly string[]).includes(status)) throw new InvalidArgumentError(`status must be one of ${STATUSES.join(', ')}`)
    io.send(res, 200, { mode: state.mode, nodes: state.nodes(status as NodeStatus | undefined) })
    return true
  }
  if (area === 'blacklist' && method === 'GET') {
    io.send(res, 200, { blacklist: state.blacklist() })
    return true
  }
  if (area === 'admission' && method === 'GET') {
    // a worker's view: its enrollment status at each coordinator
    io.send(res, 200, { status: node.admission.standing() })
    return true
  }
  if (area === 'authority' && method === 'GET' && a == null) {
    // whom this node accepts as coordinators, and why; and whether it is one
    const authority = state.authority
    io.send(res, 200, { adminKeys: authority.adminKeys, coordinators: authority.coordinators(), self: authority.standing(node.peerId.toString()) })
    return true
  }
  if (area === 'admin') {
    if (a === 'actions' && method === 'POST') {
      const body = await io.readJson(req) as { envelope?: unknown }
      const { record } = await node.admission.submitAction(envelopeFromBase64(body.envelope))
      io.send(res, 201, record)
      return true
    }
    if (a === 'audit' && method === 'GET' && b == null) {
      const from = Number(q.get('from') ?? 0)
      const limit = Number(q.get('limit') ?? 1000)
      if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(limit) || limit < 1) throw new InvalidArgumentError('from and limit must be whole numbers')
      io.send(res, 200, { records: await state.audit(from, Math.min(limit, 10_000)) })
      return true
    }
    if (a === 'audit' && b === 'verify' && method === 'POST') {
      io.send(res, 200, await state.verifyAudit())
      return true
    }
    if (a === 'policy' && method === 'GET') {
      io.send(res, 200, policyShow(node))
      return true
    }
  }
  return false
}
