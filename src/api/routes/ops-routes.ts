// Operations over HTTP.
//   /health, /ready, /status, /metrics   no credential: for probes and Prometheus on the same host
//                                        (the server binds loopback unless --http says otherwise)
//   /v1/ops/..., /v1/backup              bearer credential, like the rest of /v1
import { AdminAction } from '../../wire/pb/admission.js'
import { InvalidArgumentError } from '../../errors/index.js'
import { NotCoordinatorError } from '../../errors/index.js'
import { parseAction } from '../../ops/operator-action.js'
import { createBackup } from '../../ops/backup.js'
import { json, stream, text, type RequestContext, type Route } from '../route.js'

export const opsRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/health',
    public: true,
    handle: async ({ node }) => json({ status: node.ops.live ? 'ok' : 'stopping', peerId: node.peerId.toString(), role: node.role }, node.ops.live ? 200 : 503)
  },
  {
    method: 'GET',
    path: '/ready',
    public: true,
    handle: async ({ node }) => {
      const r = await node.ops.ready()
      return json(r, r.ready ? 200 : 503)
    }
  },
  { method: 'GET', path: '/status', public: true, handle: async ({ node }) => json({ ...(await node.ops.status()), meshId: node.meshId }) },
  {
    method: 'GET',
    path: '/metrics',
    public: true,
    handle: async ({ node }) => {
      const m = await node.ops.metrics.text()
      return text(m.body, m.contentType)
    }
  },
  {
    method: 'POST',
    path: '/v1/backup',
    // the first chunk takes the snapshot; a client that goes away stops the backup
    handle: async ({ node, disconnected }) => stream(createBackup(node, disconnected), 'application/x-ndjson')
  },
  {
    method: 'GET',
    path: '/v1/ops/state',
    // with the enrollments awaiting an admin's approval (the runbook's "review pending approvals")
    handle: async c => json({
      state: c.node.ops.state.toJSON(),
      history: c.node.ops.state.history(limit(c)),
      awaitingApproval: c.node.admission.state.nodes('pending').map(n => ({ peerId: n.peerId, role: n.role, label: n.label, since: new Date(n.enrolledAt).toISOString() }))
    })
  },
  { method: 'GET', path: '/v1/ops/history', handle: async c => json({ history: c.node.ops.state.history(limit(c)) }) },
  { method: 'GET', path: '/v1/ops/nodes', handle: async ({ node }) => json({ nodes: await node.ops.nodes() }) },
  { method: 'GET', path: '/v1/ops/dead-letters', handle: async c => json({ deadLetters: await c.node.ops.deadLetters(limit(c)) }) },
  {
    method: 'GET',
    path: '/v1/ops/explain/:id',
    handle: async ({ node, params }) => {
      const id = params.id
      if (!/^[0-9a-f]{64}$/.test(id)) throw new InvalidArgumentError(`"${id}" is not a job id (64 lowercase hex characters)`)
      return json(await node.ops.explain(id))
    }
  },
  { method: 'POST', path: '/v1/ops/actions', handle: applyAction }
]

function limit (c: RequestContext): number {
  const v = c.query.get('limit')
  if (v == null) return 100
  if (!/^\d{1,6}$/.test(v)) throw new InvalidArgumentError('--limit must be a whole number')
  return Number(v)
}

async function applyAction ({ node, json: body }: RequestContext): ReturnType<Route['handle']> {
  const action = parseAction(await body())
  if ((action.kind === 'pause' || action.kind === 'resume') && node.role !== 'coordinator') {
    throw new NotCoordinatorError(`${action.kind} applies to a coordinator's assignments; this node is a ${node.role}`)
  }
  if (!node.admission.state.isAdmin(node.peerId.toString())) {
    // a node without admin authority acts only on itself
    return json({ entry: await node.ops.apply(action), state: node.ops.state.toJSON(), audit: undefined })
  }
  // a coordinator's own key is an admin key: the action is signed, audited and published, so every
  // coordinator of the mesh applies it (a signed body from the CLI takes /v1/admin/actions)
  const reason = action.kind === 'pause' || action.kind === 'drain' || action.kind === 'isolate' ? action.reason ?? '' : ''
  const env = await node.admission.signAction(AdminAction.encode({ kind: AdminAction.Kind.OPERATOR, target: 'peer' in action ? action.peer : '', reason, untilMs: 0n, value: JSON.stringify(action) }))
  const out = await node.admission.submitAction(env)
  // the action is audited and stands; what carrying it out here threw is the caller's answer
  if (out.effectError != null) throw out.effectError
  return json({ entry: out.result, state: node.ops.state.toJSON(), audit: out.record })
}

