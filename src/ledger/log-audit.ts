// Offline audit of a whole log: the entries (`ledger entries --json`) must hash to a signed
// checkpoint's root, replay without breaking an invariant, and every welcome grant must credit one
// account, once, for the amount the policy in force says, on a signed APPROVE of that very account by
// the coordinator's key (or a key the auditor names). No daemon, no network.
import { peerIdFromString } from '@libp2p/peer-id'
import { auditCheckpoint, type AuditReport } from './audit.js'
import { fromBase64 } from './merkle/checkpoint.js'
import { EMPTY_ROOT, bytesEqual, leafHash, nodeHash } from './merkle/hash.js'
import { Book } from './book.js'
import { WELCOME_GRANT, grantRecipients } from './grants.js'
import { LedgerEntry } from '../wire/pb/ledger.js'
import { AdminAction } from '../wire/pb/admission.js'
import { Domains } from '../wire/domains.js'
import { sha256, toHex, verifyEnvelope } from '../wire/signed.js'
import { InvalidArgumentError, GrantAuditError, ProofMismatchError } from '../errors/index.js'


/** clock skew allowed between an approval's issue time and the grant that rests on it */
const SKEW_MS = 60_000

export interface LogAuditReport extends AuditReport {
  entries: number
  grants: number
  /** keys whose approvals back the grants */
  approvers: string[]
}

/** RFC 6962 tree head over consecutive leaves (a stack of complete subtrees, folded right to left). */
export function rootOfEntries (entries: Uint8Array[]): Uint8Array {
  const stack: Array<{ hash: Uint8Array, size: number }> = []
  for (const e of entries) {
    let top = { hash: leafHash(e), size: 1 }
    while (stack.length > 0 && stack[stack.length - 1].size === top.size) {
      const left = stack.pop() as { hash: Uint8Array, size: number }
      top = { hash: nodeHash(left.hash, top.hash), size: left.size * 2 }
    }
    stack.push(top)
  }
  if (stack.length === 0) return EMPTY_ROOT
  let h = (stack.pop() as { hash: Uint8Array }).hash
  while (stack.length > 0) h = nodeHash((stack.pop() as { hash: Uint8Array }).hash, h)
  return h
}

/** Entry bytes 0..size-1 out of one or more `ledger entries --json` outputs (or arrays of entries). */
export function entriesFromJson (files: unknown[], size: number): Uint8Array[] {
  const byIndex = new Map<number, Uint8Array>()
  files.forEach((f, i) => {
    const list = Array.isArray(f) ? f : (f as { entries?: unknown } | null)?.entries
    if (!Array.isArray(list)) throw new InvalidArgumentError(`entries file ${i + 1} is neither \`ledger entries --json\` output nor an array of entries`)
    for (const e of list as Array<{ index?: unknown, leaf?: unknown }>) {
      if (typeof e?.index !== 'number' || !Number.isSafeInteger(e.index) || e.index < 0) throw new InvalidArgumentError(`entries file ${i + 1}: an entry without a whole "index"`)
      const leaf = typeof e.leaf === 'string' ? fromBase64(e.leaf) : undefined
      if (leaf == null) throw new InvalidArgumentError(`entries file ${i + 1}: entry ${e.index} has no base64 "leaf"`)
      // entries past the checkpoint are not covered by its signature: left out
      if (e.index < size) byIndex.set(e.index, leaf)
    }
  })
  const out: Uint8Array[] = []
  for (let i = 0; i < size; i++) {
    const b = byIndex.get(i)
    if (b == null) throw new InvalidArgumentError(`the entries given stop before entry ${i} of the checkpoint's ${size} (fetch the rest with \`ledger entries --from ${i}\`)`)
    out.push(b)
  }
  return out
}

/**
 * Checks the signed checkpoint, that `entries` are exactly its log, and every welcome grant in it.
 * `approvers`: peer ids (besides the coordinator) whose approvals count, e.g. a separate admin key.
 * Throws ProofMismatchError (entries are not the log), LedgerInvariantError (a replay breaks an
 * invariant) or GrantAuditError (a grant doubled, unbacked, or backed by the wrong approval).
 */
export async function auditLog (note: string, verifierKey: string, entries: Uint8Array[], opts: { approvers?: string[], signal?: AbortSignal } = {}): Promise<LogAuditReport> {
  const cp = auditCheckpoint(note, verifierKey)
  const m = /^edgecoder\/([^/]+)\/([^/]+)$/.exec(cp.origin)
  if (m == null) throw new InvalidArgumentError(`checkpoint origin "${cp.origin}" is not edgecoder/<mesh>/<coordinator>`)
  const [, meshId, owner] = m
  if (entries.length !== cp.size) throw new InvalidArgumentError(`${entries.length} entries given, the checkpoint covers ${cp.size}`)
  if (!bytesEqual(rootOfEntries(entries), Buffer.from(cp.root, 'base64'))) throw new ProofMismatchError(`the ${cp.size} entries given do not hash to the checkpointed root ${cp.root}`)
  const approvers = new Set([owner, ...(opts.approvers ?? [])])
  for (const a of approvers) { try { peerIdFromString(a) } catch { throw new InvalidArgumentError(`approver "${a}" is not a peer id`) } }
  const book = new Book(owner)
  const grantedAt = new Map<string, number>()
  const usedApprovals = new Set<string>()
  const signers = new Set<string>()
  for (let i = 0; i < entries.length; i++) {
    opts.signal?.throwIfAborted()
    const e = decodeEntry(entries[i], i)
    if (e.kind === LedgerEntry.Kind.MINT && e.mint?.reason === WELCOME_GRANT) {
      signers.add(await checkGrant(e, i, { book, meshId, approvers, grantedAt, usedApprovals }))
    }
    // everything else a replica checks: sums, settlements, fees, policies
    book.apply(i, entries[i])
  }
  return { ...cp, entries: entries.length, grants: grantedAt.size, approvers: [...signers].sort() }
}

function decodeEntry (bytes: Uint8Array, i: number): LedgerEntry {
  try { return LedgerEntry.decode(bytes) } catch (err) { throw new InvalidArgumentError(`entry ${i} does not decode: ${(err as Error).message}`) }
}

interface GrantContext { book: Book, meshId: string, approvers: Set<string>, grantedAt: Map<string, number>, usedApprovals: Set<string> }

/** One welcome grant against the rules; returns the key that approved it. */
async function checkGrant (e: LedgerEntry, i: number, c: GrantContext): Promise<string> {
  const bad = (why: string): never => { throw new GrantAuditError(`entry ${i}: ${why}`) }
  const to = grantRecipients(e)
  if (to.length !== 1) bad(`a welcome grant credits ${to.length} accounts, not 1`)
  const account = to[0]
  const earlier = c.grantedAt.get(account)
  if (earlier != null) bad(`account ${account} already had its welcome grant at entry ${earlier}`)
  const amount = e.postings.find(p => p.account === account)?.delta ?? 0n
  if (amount !== c.book.policy.welcomeGrant) bad(`grant of ${amount.toString()} credits, the policy in force grants ${c.book.policy.welcomeGrant.toString()}`)
  const approval = e.mint?.approval ?? new Uint8Array()
  const env = e.adminAction
  if (approval.length !== 32 || env == null) bad(`the welcome grant to ${account} names no approval`)
  const digest = toHex(sha256((env as NonNullable<typeof env>).payload))
  if (digest !== toHex(approval)) bad(`the approval carried (${digest.slice(0, 12)}…) is not the one named (${toHex(approval).slice(0, 12)}…)`)
  if (c.usedApprovals.has(digest)) bad(`approval ${digest.slice(0, 12)}… backs a second grant`)
  let v: Awaited<ReturnType<typeof verifyEnvelope>>
  try {
    // an approval stays evidence after it expires: it was valid when the grant was made
    v = await verifyEnvelope(env as NonNullable<typeof env>, { domain: Domains.adminAction, meshId: c.meshId, allowExpired: true })
  } catch (err) {
    return bad(`the approval of ${account} does not verify (${(err as Error).name}: ${(err as Error).message})`)
  }
  const signer = v.signer.toString()
  if (!c.approvers.has(signer)) bad(`the approval of ${account} is signed by ${signer}, neither the coordinator nor an --approver key`)
  let action: AdminAction
  try { action = AdminAction.decode(v.payload.body) } catch { return bad('the approval does not decode as an admin action') }
  if (action.kind !== AdminAction.Kind.APPROVE) bad(`the action named is ${String(action.kind)}, not APPROVE`)
  if (action.target !== account) bad(`the approval is of ${action.target}, the grant credits ${account}`)
  if (Number(v.payload.issuedAtMs) > Number(e.timeMs) + SKEW_MS) bad('the approval was issued after the grant')
  c.grantedAt.set(account, i)
  c.usedApprovals.add(digest)
  return signer
}
