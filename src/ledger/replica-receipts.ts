// A replica's receipts: stored with an index of the open ones, and proven against each verified checkpoint.
import type { Level, BatchOperation } from 'level'
import type { MerkleLog } from './merkle/merkle-log.js'
import { leafHash, verifyInclusion } from './merkle/hash.js'
import type { Book } from './book.js'
import { LedgerEntry } from '../wire/pb/ledger.js'
import { CheckpointMismatchError } from '../errors/index.js'
import { toHex } from '../wire/signed.js'
import type { Evidence, Receipt } from './replica-evidence.js'

const RECEIPT_INDEX_KEY = 'open-receipt-index'
/** the open-receipt index key: log ids (base58 peer ids) contain no '/' */
const openKey = (log: string, jobId: string): string => `${log}/${jobId}`
/** every open-receipt key of `log` ('0' is the character after '/') */
const openRange = (log: string): { gt: string, lt: string } => ({ gt: `${log}/`, lt: `${log}0` })
/** a receipt a checkpoint still has to prove (or report missing) */
const isOpen = (r: Receipt): boolean => r.proven == null && r.reportedAt == null

type ReceiptOp = BatchOperation<Level<string, string>, string, string>

/** what proving looks at in a replica's copy of a log */
export interface VerifiedLog { merkle: MerkleLog, book: Book, verifiedSize: number }

export class ReceiptStore {
  private readonly receiptsDb
  /** `<log>/<job id>` of every receipt neither proven nor reported missing: what a checkpoint looks at */
  private readonly openReceiptsDb
  private readonly metaDb

  /**
   * `self`: this node's account (a receipt's settlement must pay it); `graceMs`: a receipt not in any
   * checkpoint received this long after its ack is missing; `examined`: told of each receipt read
   */
  constructor (private readonly db: Level<string, string>, private readonly self: string, private readonly graceMs: number, private readonly examined: (log: string, jobId: string) => void) {
    this.receiptsDb = db.sublevel<string, string>('receipts', { valueEncoding: 'utf8' })
    this.openReceiptsDb = db.sublevel<string, string>('open-receipts', { valueEncoding: 'utf8' })
    this.metaDb = db.sublevel<string, string>('meta', { valueEncoding: 'utf8' })
  }

  /** A replica written before the open-receipt index existed gets it built once, in one batch. */
  async indexOpenReceipts (): Promise<void> {
    if (await this.metaDb.get(RECEIPT_INDEX_KEY) != null) return
    const ops: ReceiptOp[] = []
    for await (const v of this.receiptsDb.values()) {
      const r = JSON.parse(v) as Receipt
      if (isOpen(r)) ops.push({ type: 'put', sublevel: this.openReceiptsDb, key: openKey(r.log, r.jobId), value: '' })
    }
    ops.push({ type: 'put', sublevel: this.metaDb, key: RECEIPT_INDEX_KEY, value: '1' })
    await this.db.batch(ops)
  }

  /**
   * Writes a receipt and its place in the open-receipt index in one batch, so a crash never leaves
   * an open receipt out of the index (it would never be proven) or a closed one in it.
   */
  async store (r: Receipt): Promise<void> {
    const key = openKey(r.log, r.jobId)
    await this.db.batch([
      { type: 'put', sublevel: this.receiptsDb, key: r.jobId, value: JSON.stringify(r) },
      isOpen(r) ? { type: 'put', sublevel: this.openReceiptsDb, key, value: '' } : { type: 'del', sublevel: this.openReceiptsDb, key }
    ] satisfies ReceiptOp[])
  }

  async list (log?: string): Promise<Receipt[]> {
    const out: Receipt[] = []
    for await (const v of this.receiptsDb.values()) {
      const r = JSON.parse(v) as Receipt
      if (log == null || r.log === log) out.push(r)
    }
    return out
  }

  /**
   * Proves the open receipts of `log` against the tree of the checkpoint just verified, or reports
   * them missing (through `raise`, which stores the evidence) once their grace period is over.
   * Only receipts in the open-receipt index are read: a proven (or reported) receipt is never looked
   * at again, so a checkpoint costs what is still open, not the node's whole history.
   */
  async prove (log: string, s: VerifiedLog, note: string, root: Uint8Array, signal: AbortSignal, raise: (detail: string, receipt: Receipt) => Promise<Evidence>): Promise<{ proven: number, evidence: Evidence[] }> {
    let proven = 0
    const evidence: Evidence[] = []
    const keys: string[] = []
    for await (const k of this.openReceiptsDb.keys(openRange(log))) keys.push(k)
    const jobIds = keys.map(k => k.slice(log.length + 1))
    const values = jobIds.length === 0 ? [] : await this.receiptsDb.getMany(jobIds)
    for (const [i, jobId] of jobIds.entries()) {
      signal.throwIfAborted()
      this.examined(log, jobId)
      const v = values[i]
      const r = v == null ? undefined : JSON.parse(v) as Receipt
      if (r == null || r.log !== log || !isOpen(r)) {
        // the receipt was replaced or removed since it was indexed: the index entry goes
        await this.openReceiptsDb.del(keys[i])
        continue
      }
      const missing = async (detail: string): Promise<void> => {
        evidence.push(await raise(detail, r))
        r.reportedAt = Date.now()
        await this.store(r)
      }
      const index = s.book.settledAt(r.jobId)
      if (index == null) {
        if (Date.now() - r.ackedAt > this.graceMs) await missing(`job ${r.jobId}: result ${r.resultDigest} acknowledged ${new Date(r.ackedAt).toISOString()} is not settled in the log at size ${s.verifiedSize}`)
        continue
      }
      const entry = LedgerEntry.decode(await s.merkle.entry(index))
      const st = entry.settlement
      const paid = entry.postings.filter(p => p.account === this.self).reduce((a, p) => a + p.delta, 0n)
      if (st == null || st.worker !== this.self || toHex(st.resultDigest) !== r.resultDigest) {
        await missing(`job ${r.jobId} is settled at entry ${index} but not for our result ${r.resultDigest}`)
        continue
      }
      if (paid <= 0n && st.price > st.fee) {
        await missing(`job ${r.jobId} settled at entry ${index} without paying us`)
        continue
      }
      const hashes = await s.merkle.inclusionProof(index, s.verifiedSize)
      if (!verifyInclusion(leafHash(await s.merkle.entry(index)), index, s.verifiedSize, hashes, root)) {
        throw new CheckpointMismatchError(`inclusion proof for entry ${index} does not verify against our own tree`)
      }
      r.proven = { index, treeSize: s.verifiedSize, hashes: hashes.map(b64), note }
      await this.store(r)
      proven++
    }
    return { proven, evidence }
  }
}

function b64 (b: Uint8Array): string {
  return Buffer.from(b).toString('base64')
}
