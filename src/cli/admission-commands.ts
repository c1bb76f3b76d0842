// `edgecoder-node token | nodes | policy | audit | admin keygen`: enrollment tokens, the node
// registry, the blacklist, policy and the audit log. Actions that change who may do what are signed
// here, with the admin key (`--admin-key FILE`, default the data dir's identity key), and applied by
// the daemon only if that key is one of its admin keys.
import { resolve } from 'node:path'
import { parse, str, int, parseDuration } from './args.js'
import { callDaemon } from './api-client.js'
import { InvalidArgumentError, AuditVerificationError } from '../errors/index.js'
import { loadKeyFile, loadKeyFileAt, createKeyFileAt } from '../identity/key-file.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { signAdminAction, signAuthorityAction, envelopeToBase64, type AdminActionInput, type AuthorityActionInput } from '../admission/admin-actions.js'
import type { CoordinatorView } from '../admission/authority.js'
import type { AuditRecord, BlacklistEntry, NodeRecord } from '../admission/admission-state.js'
import type { TokenRecord } from '../admission/tokens.js'
import { policyShowText, type PolicyShowJson } from '../api/policy-view.js'


type DataDirOf = (v: Record<string, unknown>) => string
const base = { 'data-dir': { type: 'string' }, json: { type: 'boolean' } } as const
const signing = { ...base, 'admin-key': { type: 'string' }, reason: { type: 'string' } } as const

function out (json: boolean, value: unknown, text: string): void {
  process.stdout.write((json ? JSON.stringify(value, null, 2) : text) + '\n')
}

const when = (ms: number): string => ms === 0 ? 'never' : new Date(ms).toISOString()

/** Signs `input` with the admin key and has the daemon apply (and publish) it. */
export async function adminAction (values: Record<string, unknown>, dataDirOf: DataDirOf, input: AdminActionInput | ({ authority: true } & AuthorityActionInput)): Promise<AuditRecord> {
  const dataDir = dataDirOf(values)
  const keyFile = str(values['admin-key'])
  const key = keyFile != null ? await loadKeyFileAt(resolve(keyFile)) : await loadKeyFile(dataDir)
  const { meshId } = await callDaemon<{ meshId: string }>(dataDir, 'GET', '/v1/node')
  const reason = input.reason ?? str(values.reason)
  const env = 'authority' in input
    ? await signAuthorityAction(key, meshId, { ...input, reason })
    : await signAdminAction(key, meshId, { ...input, reason })
  return await callDaemon<AuditRecord>(dataDir, 'POST', '/v1/admin/actions', { envelope: envelopeToBase64(env) })
}

export function actionLine (r: AuditRecord): string {
  return `${r.effect === 'applied' ? 'applied' : 'recorded (a later action on the same target wins)'}: ${r.kind} ${r.target} (audit #${r.seq}, signed by ${r.signer})`
}

const TOKEN_DEFAULT_EXPIRY = '7d'
export const TOKEN_USAGE = 'usage: edgecoder-node token create [--uses N] [--expires DURATION|never (default 7d)] [--label L] [--auto-approve] | list | revoke ID'

/** What `token list` says a token is good for now, in the order that decides it. */
function tokenState (t: Omit<TokenRecord, 'hash'>, now = Date.now()): string {
  if (t.revoked) return 'revoked'
  // the same test as spending one (src/admission/tokens.ts): expired at its expiry instant
  if (t.expiresAt !== 0 && t.expiresAt <= now) return 'expired'
  if (t.uses >= t.maxUses) return 'used up'
  return 'valid  '
}

export async function cmdToken (argv: string[], dataDirOf: DataDirOf): Promise<void> {
  const [sub, ...rest] = argv
  if (sub === 'create') {
    const { values } = parse(rest, { ...base, uses: { type: 'string' }, expires: { type: 'string' }, label: { type: 'string' }, 'auto-approve': { type: 'boolean' } }, false)
    // a token nobody remembers should not stay good forever: 7 days unless told otherwise
    const expires = str(values.expires) ?? TOKEN_DEFAULT_EXPIRY
    const r = await callDaemon<{ token: string, id: string, maxUses: number, expiresAt: number }>(dataDirOf(values), 'POST', '/v1/tokens', {
      label: str(values.label), uses: int(values.uses, '--uses', 1, 10_000), ttlMs: expires !== 'never' ? parseDuration(expires, '--expires') : undefined, autoApprove: values['auto-approve'] === true
    })
    // the token itself goes to stdout alone, so it can be captured; it is shown only this once
    out(values.json === true, r, r.token)
    return
  }
  if (sub === 'list') {
    const { values } = parse(rest, base, false)
    const { tokens } = await callDaemon<{ tokens: Array<Omit<TokenRecord, 'hash'>> }>(dataDirOf(values), 'GET', '/v1/tokens')
    out(values.json === true, tokens.map(t => ({ ...t, state: tokenState(t).trim() })), tokens.length === 0 ? '(no tokens)' : tokens.map(t => `${t.id}  ${tokenState(t)}  ${t.uses}/${t.maxUses} used  expires ${when(t.expiresAt)}${t.autoApprove ? '  auto-approve' : ''}  ${t.label}`).join('\n'))
    return
  }
  if (sub === 'revoke') {
    const { values, positionals } = parse(rest, base)
    if (positionals.length !== 1) throw new InvalidArgumentError('usage: edgecoder-node token revoke ID')
    const t = await callDaemon<Omit<TokenRecord, 'hash'>>(dataDirOf(values), 'POST', `/v1/tokens/${encodeURIComponent(positionals[0])}/revoke`)
    out(values.json === true, t, `revoked ${t.id}`)
    return
  }
  throw new InvalidArgumentError(TOKEN_USAGE)
}

export async function cmdNodes (argv: string[], dataDirOf: DataDirOf): Promise<void> {
  const [sub, ...rest] = argv
  if (sub === 'list') {
    const { values } = parse(rest, { ...base, pending: { type: 'boolean' }, active: { type: 'boolean' }, rejected: { type: 'boolean' } }, false)
    const status = values.pending === true ? 'pending' : values.active === true ? 'active' : values.rejected === true ? 'rejected' : undefined
    const r = await callDaemon<{ mode: string, nodes: NodeRecord[] }>(dataDirOf(values), 'GET', `/v1/nodes${status != null ? `?status=${status}` : ''}`)
    out(values.json === true, r.nodes, r.nodes.length === 0 ? `(no ${status ?? 'enrolled'} nodes; admission: ${r.mode})` : r.nodes.map(n => `${n.peerId}  ${n.status.padEnd(8)}  ${(n.role ?? 'worker').padEnd(6)}  ${n.label}  ${n.reason}`).join('\n'))
    return
  }
  if (sub === 'approve' || sub === 'reject') {
    const { values, positionals } = parse(rest, signing)
    if (positionals.length !== 1) throw new InvalidArgumentError(`usage: edgecoder-node nodes ${sub} PEER_ID [--reason R]`)
    const r = await adminAction(values, dataDirOf, { kind: sub === 'approve' ? 'APPROVE' : 'REJECT', target: positionals[0] })
    out(values.json === true, r, actionLine(r))
    return
  }
  if (sub === 'blacklist') {
    const [op, ...more] = rest
    if (op === 'list') {
      const { values } = parse(more, base, false)
      const { blacklist } = await callDaemon<{ blacklist: BlacklistEntry[] }>(dataDirOf(values), 'GET', '/v1/blacklist')
      out(values.json === true, blacklist, blacklist.length === 0 ? '(blacklist empty)' : blacklist.map(b => `${b.peerId}  until ${when(b.until)}  ${b.reason}  (by ${b.by})`).join('\n'))
      return
    }
    if (op === 'add' || op === 'remove') {
      const { values, positionals } = parse(more, { ...signing, expires: { type: 'string' } })
      if (positionals.length !== 1) throw new InvalidArgumentError(`usage: edgecoder-node nodes blacklist ${op} PEER_ID${op === 'add' ? ' --reason R [--expires 7d]' : ''}`)
      if (op === 'add' && (str(values.reason) ?? '') === '') throw new InvalidArgumentError('--reason is required: the audit log keeps why')
      const expires = str(values.expires)
      const r = await adminAction(values, dataDirOf, { kind: op === 'add' ? 'BLACKLIST_ADD' : 'BLACKLIST_REMOVE', target: positionals[0], untilMs: expires != null ? Date.now() + parseDuration(expires, '--expires') : 0 })
      out(values.json === true, r, actionLine(r))
      return
    }
  }
  throw new InvalidArgumentError(NODES_USAGE)
}

export async function cmdPolicy (argv: string[], dataDirOf: DataDirOf): Promise<void> {
  const [sub, ...rest] = argv
  if (sub === 'show') {
    const { values } = parse(rest, base, false)
    const r = await callDaemon<PolicyShowJson>(dataDirOf(values), 'GET', '/v1/admin/policy')
    out(values.json === true, r, policyShowText(r))
    return
  }
  if (sub === 'set') {
    const { values, positionals } = parse(rest, signing)
    if (positionals.length !== 2) throw new InvalidArgumentError('usage: edgecoder-node policy set KEY JSON_VALUE   (e.g. policy set allowedExecutors \'["wasm","noop"]\')')
    const r = await adminAction(values, dataDirOf, { kind: 'POLICY_SET', target: positionals[0], value: positionals[1] })
    out(values.json === true, r, actionLine(r))
    return
  }
  throw new InvalidArgumentError('usage: edgecoder-node policy show | set KEY JSON_VALUE')
}

export async function cmdAudit (argv: string[], dataDirOf: DataDirOf): Promise<void> {
  const [sub, ...rest] = argv
  if (sub === 'list') {
    const { values } = parse(rest, { ...base, from: { type: 'string' }, limit: { type: 'string' } }, false)
    const { records } = await callDaemon<{ records: AuditRecord[] }>(dataDirOf(values), 'GET', `/v1/admin/audit?from=${int(values.from, '--from', 0, Number.MAX_SAFE_INTEGER) ?? 0}&limit=${int(values.limit, '--limit', 1, 10_000) ?? 1000}`)
    out(values.json === true, records, records.length === 0 ? '(no admin actions)' : records.map(r => `#${r.seq}  ${new Date(r.appliedAt).toISOString()}  ${r.kind.padEnd(16)}  ${r.target}  ${r.effect}  by ${r.signer}${r.reason !== '' ? `  "${r.reason}"` : ''}`).join('\n'))
    return
  }
  if (sub === 'verify') {
    const { values } = parse(rest, base, false)
    const r = await callDaemon<{ ok: boolean, count: number, head: string, problem?: string }>(dataDirOf(values), 'POST', '/v1/admin/audit/verify')
    out(values.json === true, r, r.ok ? `ok: ${r.count} actions, chain head ${r.head || '(empty)'}` : `BROKEN: ${r.problem ?? ''}`)
    if (!r.ok) throw new AuditVerificationError(`the audit log does not verify: ${r.problem ?? ''}`)
    return
  }
  throw new InvalidArgumentError('usage: edgecoder-node audit list [--from N --limit K] | verify')
}

export const NODES_USAGE = 'usage: edgecoder-node nodes list [--pending|--active|--rejected] | approve ID | reject ID [--reason R] | blacklist add ID --reason R [--expires T] | blacklist remove ID | blacklist list | drain PEER | isolate PEER [--for DURATION] | return PEER'
export const ADMIN_USAGE = 'usage: edgecoder-node admin pause [--reason R] | resume [--staged ...] | state | keygen --out FILE | coordinator add|remove|list ... | key add|remove PEER_ID   (signed ones take --admin-key FILE)'
const COORDINATOR_USAGE = 'usage: edgecoder-node admin coordinator add PEER_ID [--label L] [--expires 30d] | coordinator remove PEER_ID [--reason R] | coordinator list'
const KEY_USAGE = 'usage: edgecoder-node admin key add PEER_ID | key remove PEER_ID [--reason R]   (signed with --admin-key FILE, a current admin key)'

/** `admin coordinator ...`: the mesh's coordinator grants, signed by an admin key. */
async function cmdCoordinator (argv: string[], dataDirOf: DataDirOf): Promise<void> {
  const [op, ...rest] = argv
  if (op === 'list') {
    const { values } = parse(rest, base, false)
    const r = await callDaemon<{ adminKeys: string[], coordinators: CoordinatorView[], self: { granted: boolean, why: string } }>(dataDirOf(values), 'GET', '/v1/authority')
    out(values.json === true, r, [`admin keys: ${r.adminKeys.join(', ') || '(none known)'}`, ...(r.coordinators.length === 0
      ? ['(no coordinator grants)']
      : r.coordinators.map(c => `${c.peerId}  ${c.state.padEnd(7)}  until ${when(c.until)}  by ${c.by}${c.label !== '' ? `  "${c.label}"` : ''}${c.reason !== '' ? `  (${c.reason})` : ''}`))].join('\n'))
    return
  }
  if (op === 'add' || op === 'remove') {
    const { values, positionals } = parse(rest, { ...signing, label: { type: 'string' }, expires: { type: 'string' } })
    if (positionals.length !== 1) throw new InvalidArgumentError(COORDINATOR_USAGE)
    const expires = str(values.expires)
    const r = await adminAction(values, dataDirOf, op === 'add'
      ? { authority: true, kind: 'coordinator-grant', target: positionals[0], label: str(values.label), expiresAtMs: expires != null && expires !== 'never' ? Date.now() + parseDuration(expires, '--expires') : 0 }
      : { authority: true, kind: 'coordinator-remove', target: positionals[0] })
    out(values.json === true, r, actionLine(r))
    return
  }
  throw new InvalidArgumentError(COORDINATOR_USAGE)
}

/** `admin key ...`: rotate the mesh's admin keys (add a new one, then remove the old one). */
async function cmdKey (argv: string[], dataDirOf: DataDirOf): Promise<void> {
  const [op, ...rest] = argv
  if (op !== 'add' && op !== 'remove') throw new InvalidArgumentError(KEY_USAGE)
  const { values, positionals } = parse(rest, signing)
  if (positionals.length !== 1) throw new InvalidArgumentError(KEY_USAGE)
  const r = await adminAction(values, dataDirOf, { authority: true, kind: op === 'add' ? 'admin-add' : 'admin-remove', target: positionals[0] })
  out(values.json === true, r, actionLine(r))
}

export async function cmdAdmin (argv: string[], dataDirOf: DataDirOf): Promise<void> {
  const [sub, ...rest] = argv
  if (sub === 'coordinator') { await cmdCoordinator(rest, dataDirOf); return }
  if (sub === 'key') { await cmdKey(rest, dataDirOf); return }
  if (sub === 'keygen') {
    const { values } = parse(rest, { json: { type: 'boolean' }, out: { type: 'string' } }, false)
    const file = str(values.out)
    if (file == null) throw new InvalidArgumentError('usage: edgecoder-node admin keygen --out FILE')
    const key = await createKeyFileAt(resolve(file))
    const peerId = peerIdFromPrivateKey(key).toString()
    out(values.json === true, { peerId, file: resolve(file) }, `${peerId}\n(make it an admin key of the mesh: edgecoder-node admin key add ${peerId}, signed by a current admin key)`)
    return
  }
  throw new InvalidArgumentError(ADMIN_USAGE)
}
