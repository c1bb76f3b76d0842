// One read interface over a log, whether this node owns it (coordinator) or holds a verified
// replica of it: what the CLI's `ledger` commands and the control API use.
import type { EdgecoderNode } from '../node/create-node.js'
import { LedgerEntry } from '../wire/pb/ledger.js'
import { InvalidArgumentError } from '../errors/index.js'
import { UnknownLogError } from '../errors/index.js'
import { toHex } from '../wire/signed.js'
import { FEE_ROUNDING_RULES } from '../ledger/policy.js'

export interface LedgerView {
  log: string
  /** entries covered by the newest signed checkpoint held */
  size: number
  note: () => Promise<string>
  entry: (i: number) => Promise<Uint8Array>
  root: (size: number) => Promise<Uint8Array>
  inclusion: (index: number, treeSize: number) => Promise<Uint8Array[]>
  consistency: (from: number, to: number) => Promise<Uint8Array[]>
  balance: (account: string) => bigint
  balances: () => Map<string, bigint>
}

export async function ledgerView (node: EdgecoderNode, log?: string): Promise<LedgerView> {
  const own = node.ledger
  if (own != null && (log == null || log === node.peerId.toString())) {
    await own.latestCheckpoint()
    return {
      log: node.peerId.toString(),
      size: own.checkpointSize,
      note: async () => await own.latestCheckpoint(),
      entry: async i => await own.entry(i),
      root: async n => await own.root(n),
      inclusion: async (i, n) => await own.inclusionProof(i, n),
      consistency: async (a, b) => await own.consistencyProof(a, b),
      balance: a => own.book.balance(a),
      balances: () => own.book.balances
    }
  }
  const replica = node.replica
  if (replica == null) throw new UnknownLogError(`this node holds no log ${log ?? ''}`)
  const held = replica.list()
  const chosen = log ?? (held.length === 1 ? held[0].log : undefined)
  if (chosen == null) {
    throw new InvalidArgumentError(held.length === 0 ? 'this node holds no replica yet (run jobs, then `ledger reconcile`)' : `this node holds several logs; pick one with --log (${held.map(h => h.log).join(', ')})`)
  }
  const s = replica.state(chosen)
  return {
    log: chosen,
    size: s.verifiedSize,
    note: async () => s.note,
    entry: async i => await s.merkle.entry(i),
    root: async n => await s.merkle.root(n),
    inclusion: async (i, n) => await s.merkle.inclusionProof(i, n),
    consistency: async (a, b) => await s.merkle.consistencyProof(a, b),
    balance: a => s.book.balance(a),
    balances: () => s.book.balances
  }
}

export interface EntryJson {
  index: number
  kind: string
  time: string
  postings: Array<{ account: string, delta: string }>
  memo?: string
  settlement?: { jobId: string, owner: string, worker: string, attempt: number, outcome: string, price: string, fee: string, executor: string, assignmentDigest: string, resultDigest: string }
  /** approval: hex SHA-256 of the signed APPROVE a welcome grant rests on (its audit log id) */
  mint?: { reason: string, windowStart?: string, windowEnd?: string, approval?: string }
  policy?: Record<string, unknown>
  /** base64 of the exact entry bytes (the Merkle leaf) */
  leaf: string
}

export function entryToJson (index: number, bytes: Uint8Array): EntryJson {
  const e = LedgerEntry.decode(bytes)
  const j: EntryJson = {
    index,
    kind: String(e.kind).toLowerCase(),
    time: new Date(Number(e.timeMs)).toISOString(),
    postings: e.postings.map(p => ({ account: p.account, delta: p.delta.toString() })),
    leaf: Buffer.from(bytes).toString('base64')
  }
  if (e.memo !== '') j.memo = e.memo
  const s = e.settlement
  if (s != null) {
    j.settlement = { jobId: s.jobId, owner: s.owner, worker: s.worker, attempt: s.attempt, outcome: s.outcome, price: s.price.toString(), fee: s.fee.toString(), executor: s.executor, assignmentDigest: toHex(s.assignmentDigest), resultDigest: toHex(s.resultDigest) }
  }
  if (e.mint != null) j.mint = { reason: e.mint.reason, ...(e.mint.windowEndMs > 0n ? { windowStart: new Date(Number(e.mint.windowStartMs)).toISOString(), windowEnd: new Date(Number(e.mint.windowEndMs)).toISOString() } : {}), ...(e.mint.approval.length > 0 ? { approval: toHex(e.mint.approval) } : {}) }
  if (e.policy != null) {
    j.policy = { prices: e.policy.prices, feeBps: e.policy.feeBps, feeRounding: FEE_ROUNDING_RULES[e.policy.feeRounding] ?? `rule ${e.policy.feeRounding}`, demandStepBps: e.policy.demandStepBps, demandCapBps: e.policy.demandCapBps, issuanceWindowMs: Number(e.policy.issuanceWindowMs), issuancePerWindow: e.policy.issuancePerWindow.toString(), welcomeGrant: e.policy.welcomeGrant.toString() }
    if (e.adminAction != null) j.policy.setByAdmin = true
  }
  return j
}
