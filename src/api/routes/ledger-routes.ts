// The credit ledger as this node holds it (/v1/ledger/...): its own log on a coordinator, verified
// replicas elsewhere. Proofs, checkpoints, balances, the wallet, reconcile and verify.
import { InvalidArgumentError } from '../../errors/index.js'
import { NotGrantedCoordinatorError } from '../../errors/index.js'
import { UnknownLogError } from '../../errors/index.js'
import { ledgerView, entryToJson, type LedgerView } from '../ledger-view.js'
import { wallet } from '../../ledger/wallet.js'
import { json, text, type RequestContext, type Reply, type Route } from '../route.js'

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')

/** A whole-number query parameter; `dflt` when absent, else required. */
function num (q: URLSearchParams, name: string, dflt?: number): number {
  const v = q.get(name)
  const flag = `--${name.replace(/[A-Z]/g, c => '-' + c.toLowerCase())}`
  if (v == null || v === '') {
    if (dflt != null) return dflt
    throw new InvalidArgumentError(`${flag} is required`)
  }
  if (!/^\d{1,15}$/.test(v)) throw new InvalidArgumentError(`${flag} must be a whole number`)
  return Number(v)
}

const logOf = (c: RequestContext): string | undefined => c.query.get('log') ?? undefined

/** A route that reads one log through its view (own or replica; `?log=` picks one). */
function viewRoute (op: string, read: (view: LedgerView, q: URLSearchParams) => Promise<Reply>): Route {
  return { method: 'GET', path: `/v1/ledger/${op}`, handle: async c => await read(await ledgerView(c.node, logOf(c)), c.query) }
}

export const ledgerRoutes: readonly Route[] = [
  { method: 'GET', path: '/v1/ledger/evidence', handle: async ({ node }) => json({ evidence: await node.replica?.evidence() ?? [] }) },
  { method: 'GET', path: '/v1/ledger/receipts', handle: async c => json({ receipts: await c.node.replica?.receipts(logOf(c)) ?? [] }) },
  {
    method: 'GET',
    path: '/v1/ledger/logs',
    handle: async ({ node }) => json({ logs: node.ledger != null ? [{ log: node.peerId.toString(), size: node.ledger.size, verifiedSize: node.ledger.checkpointSize, own: true }] : node.replica?.list() ?? [] })
  },
  {
    method: 'POST',
    path: '/v1/ledger/accept-restore',
    handle: async ({ node }) => {
      if (node.restoreGuard == null) throw new InvalidArgumentError('accept-restore applies to a coordinator\'s own log')
      const was = node.restoreGuard.held
      await node.restoreGuard.accept()
      return json({ held: was != null, resumed: was != null, size: node.ledger?.size })
    }
  },
  { method: 'POST', path: '/v1/ledger/reconcile', handle: reconcile },
  {
    method: 'POST',
    path: '/v1/ledger/checkpoint',
    // a checkpoint seen elsewhere (another peer, a mail, a witness): processed as one from gossip
    handle: async c => {
      const body = await c.json()
      const note = typeof body === 'object' && body !== null && 'note' in body ? body.note : undefined
      if (typeof note !== 'string') throw new InvalidArgumentError('body must be {"note": "<signed checkpoint>"}')
      return json(await c.node.ledgerService.checkOutsideCheckpoint(note, c.signal))
    }
  },
  { method: 'POST', path: '/v1/ledger/verify', handle: verify },
  { method: 'GET', path: '/v1/ledger/wallet', handle: async c => json(await wallet(c.node, { log: logOf(c), signal: c.signal })) },
  viewRoute('balance', async (view, q) => {
    const account = q.get('account')
    if (account != null && account !== '') return json({ log: view.log, account, balance: view.balance(account).toString() })
    return json({ log: view.log, balances: Object.fromEntries([...view.balances()].map(([k, v]) => [k, v.toString()])) })
  }),
  viewRoute('entries', async (view, q) => {
    const from = num(q, 'from', 0)
    const limit = Math.min(num(q, 'limit', 100), 10_000)
    const out = []
    for (let i = from; i < Math.min(view.size, from + limit); i++) out.push(entryToJson(i, await view.entry(i)))
    return json({ log: view.log, treeSize: view.size, entries: out })
  }),
  viewRoute('checkpoint', async view => text(await view.note(), 'text/plain; charset=utf-8')),
  viewRoute('proof', async (view, q) => {
    const index = num(q, 'index')
    const treeSize = num(q, 'treeSize', view.size)
    if (treeSize > view.size || index >= treeSize) throw new InvalidArgumentError(`need index < tree size <= ${view.size} (the checkpointed size)`)
    return json({ log: view.log, index, treeSize, leaf: b64(await view.entry(index)), hashes: (await view.inclusion(index, treeSize)).map(b64), root: b64(await view.root(treeSize)) })
  }),
  viewRoute('consistency', async (view, q) => {
    const from = num(q, 'from')
    const to = num(q, 'to', view.size)
    if (to > view.size || from > to || from < 1) throw new InvalidArgumentError(`need 1 <= from <= to <= ${view.size} (the checkpointed size)`)
    return json({ log: view.log, from, to, fromRoot: b64(await view.root(from)), toRoot: b64(await view.root(to)), hashes: (await view.consistency(from, to)).map(b64) })
  }),
  {
    // anything else under /v1/ledger: the log is looked up first, so a missing log is what is named
    method: '*',
    path: '/v1/ledger/*',
    handle: async c => {
      await ledgerView(c.node, logOf(c))
      throw new InvalidArgumentError(`no route ${c.method} /v1/ledger/${c.parts[2] ?? ''}`)
    }
  }
]

async function reconcile (c: RequestContext): Promise<Reply> {
  const { node, signal } = c
  const log = logOf(c)
  if (node.replica == null) {
    // a coordinator reconciles by checkpointing and re-verifying its own log
    const root = await node.ledger?.verifyAll()
    return json({ outcomes: [{ log: node.peerId.toString(), size: node.ledger?.size ?? 0, verified: true, root: root != null ? b64(root) : '' }] })
  }
  const authority = node.admission.state.authority
  // only granted coordinators' logs are the mesh's ledger: a stranger's is neither fetched nor stored
  if (log != null && !authority.isGranted(log)) throw new NotGrantedCoordinatorError(`log ${log} is not a granted coordinator's: ${authority.standing(log).why}`)
  const logs = log != null ? [log] : [...new Set([...node.replica.list().map(l => l.log), ...node.ledgerService.tracked])].filter(l => authority.isGranted(l))
  const outcomes = []
  for (const l of logs) outcomes.push(await node.replica.reconcile(l, signal))
  return json({ outcomes })
}

async function verify (c: RequestContext): Promise<Reply> {
  const { node } = c
  const log = logOf(c)
  const own = node.ledger
  if (own != null && (log == null || log === node.peerId.toString())) {
    const note = await own.latestCheckpoint()
    const root = await own.verifyAll()
    const atCheckpoint = await own.root(own.checkpointSize)
    const ok = own.size === own.checkpointSize ? Buffer.compare(Buffer.from(root), Buffer.from(atCheckpoint)) === 0 : true
    return json({ log: node.peerId.toString(), ok, size: own.checkpointSize, root: b64(atCheckpoint), note })
  }
  const v = await ledgerView(node, log)
  const replica = node.replica
  // ledgerView found the log, so this node holds replicas
  if (replica == null) throw new UnknownLogError(`this node holds no log ${log ?? ''}`)
  const r = await replica.verify(v.log)
  return json({ ...r, evidence: (await replica.evidence()).filter(e => e.log === v.log).length })
}
