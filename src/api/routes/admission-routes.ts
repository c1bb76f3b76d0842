// Admission and authority: registration tokens, the node registry, the blacklist, signed admin
// actions, policy and the audit log. Admin actions arrive already signed (by the CLI, with the
// admin's key): the daemon checks them like any other before applying.
import { envelopeFromBase64 } from '../../admission/admin-actions.js'
import type { NodeStatus } from '../../admission/admission-state.js'
import type { TokenRecord } from '../../admission/tokens.js'
import { InvalidArgumentError } from '../../errors/index.js'
import type { EdgecoderNode } from '../../node/create-node.js'
import { NotFoundError } from '../../errors/index.js'
import { policyShow } from '../policy-view.js'
import { json, type Route } from '../route.js'

const STATUSES: readonly NodeStatus[] = ['pending', 'active', 'rejected']

function isNodeStatus (s: string): s is NodeStatus {
  return (STATUSES as readonly string[]).includes(s)
}

/** A token record as shown to the admin: never its hash. */
function shown ({ hash: _hash, ...rest }: TokenRecord): Omit<TokenRecord, 'hash'> { return rest }

/** Tokens and enrollments live on coordinators. */
function coordinatorOnly (node: EdgecoderNode): void {
  if (node.role !== 'coordinator') throw new InvalidArgumentError(`this is a ${node.role}: tokens and enrollments live on coordinators`)
}

export const admissionRoutes: readonly Route[] = [
  {
    method: 'POST',
    path: '/v1/tokens',
    handle: async c => {
      coordinatorOnly(c.node)
      // the shape the CLI sends; each field is checked here or by the token store
      const body = await c.json() as { label?: unknown, uses?: unknown, ttlMs?: unknown, autoApprove?: unknown }
      if (body.label !== undefined && typeof body.label !== 'string') throw new InvalidArgumentError('label must be a string')
      if (body.ttlMs !== undefined && (typeof body.ttlMs !== 'number' || !Number.isSafeInteger(body.ttlMs) || body.ttlMs < 1000)) throw new InvalidArgumentError('--expires must be at least 1s')
      const { token, record } = await c.node.admission.state.tokens.create({ label: body.label, maxUses: body.uses as number | undefined, ttlMs: body.ttlMs, autoApprove: body.autoApprove === true })
      return json({ token, ...shown(record) }, 201)
    }
  },
  {
    method: 'GET',
    path: '/v1/tokens',
    handle: async ({ node }) => {
      coordinatorOnly(node)
      return json({ tokens: (await node.admission.state.tokens.list()).map(shown) })
    }
  },
  {
    method: 'POST',
    path: '/v1/tokens/:id/revoke',
    handle: async ({ node, params }) => {
      coordinatorOnly(node)
      return json(shown(await node.admission.state.tokens.revoke(params.id)))
    }
  },
  {
    // anything else under /v1/tokens: on a worker or client, that tokens are not here is the answer
    method: '*',
    path: '/v1/tokens/*',
    handle: async ({ node, method, path }) => {
      coordinatorOnly(node)
      throw new NotFoundError(`no route ${method} ${path}`)
    }
  },
  {
    method: 'GET',
    path: '/v1/nodes',
    handle: async ({ node, query }) => {
      const status = query.get('status') ?? undefined
      if (status != null && !isNodeStatus(status)) throw new InvalidArgumentError(`status must be one of ${STATUSES.join(', ')}`)
      const state = node.admission.state
      return json({ mode: state.mode, nodes: state.nodes(status) })
    }
  },
  { method: 'GET', path: '/v1/blacklist', handle: async ({ node }) => json({ blacklist: node.admission.state.blacklist() }) },
  // a worker's view: its enrollment status at each coordinator
  { method: 'GET', path: '/v1/admission', handle: async ({ node }) => json({ status: node.admission.standing() }) },
  {
    method: 'GET',
    path: '/v1/authority',
    // whom this node accepts as coordinators, and why; and whether it is one
    handle: async ({ node }) => {
      const authority = node.admission.state.authority
      return json({ adminKeys: authority.adminKeys, coordinators: authority.coordinators(), self: authority.standing(node.peerId.toString()) })
    }
  },
  {
    method: 'POST',
    path: '/v1/admin/actions',
    handle: async c => {
      const body = await c.json()
      const envelope = typeof body === 'object' && body !== null && 'envelope' in body ? body.envelope : undefined
      const { record } = await c.node.admission.submitAction(envelopeFromBase64(envelope))
      return json(record, 201)
    }
  },
  {
    method: 'GET',
    path: '/v1/admin/audit',
    handle: async ({ node, query }) => {
      const from = Number(query.get('from') ?? 0)
      const limit = Number(query.get('limit') ?? 1000)
      if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(limit) || limit < 1) throw new InvalidArgumentError('from and limit must be whole numbers')
      return json({ records: await node.admission.state.audit(from, Math.min(limit, 10_000)) })
    }
  },
  { method: 'POST', path: '/v1/admin/audit/verify', handle: async ({ node }) => json(await node.admission.state.verifyAudit()) },
  { method: 'GET', path: '/v1/admin/policy', handle: async ({ node }) => json(policyShow(node)) }
]
