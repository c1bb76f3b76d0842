// A node's local replica of the coordinators' logs it deals with. On every new checkpoint it checks
// the signature, syncs the missing entries, recomputes the root over its own copy, checks consistency
// with the checkpoint it held before, and proves that its receipts (results it was paid for) are in
// the log. Anything that cannot be true becomes stored, exportable evidence and a loud alert — the
// replica never repairs itself silently.
import { openLevel } from '../util/open-level.js'
import { Level, type BatchOperation } from 'level'
import { peerIdFromString } from '@libp2p/peer-id'
import { MerkleLog } from './merkle/merkle-log.js'
import { openNote, parseCheckpoint, noteVerifierKey } from './merkle/checkpoint.js'
import { leafHash, verifyInclusion } from './merkle/hash.js'
import { Book } from './book.js'
import { logOrigin } from './coordinator-ledger.js'
import { LedgerEntry } from '../wire/pb/ledger.js'
import { CheckpointMismatchError, LedgerInvariantError, ReplicaDamagedError, UnknownLogError } from '../errors/index.js'
import { bytesEqual, toHex } from '../wire/signed.js'
import { TypedEmitter } from '../util/typed-emitter.js'

/** What the replica needs from the network (implemented by LedgerService over libp2p). */
export interface LedgerFetcher {
  /**
   * entries [from, to) of `log`, in order, in runs of consecutive entries (`index` is the first's),
   * from the coordinator or any peer holding them; `from` names the peer that served the run
   */
  sync (log: string, from: number, to: number, signal: AbortSignal): AsyncIterable<{ index: number, entries: Uint8Array[], from?: string }>
  latestCheckpoint (log: string, signal: AbortSignal): Promise<string>
}

// 'inconsistent' (a coordinator's consistency proof that failed) is no longer raised (see process());
// it stays readable in evidence stored by earlier versions
export type EvidenceKind = 'fork' | 'root-mismatch' | 'inconsistent' | 'invariant' | 'missing-receipt' | 'bad-checkpoint'

export interface Evidence {
  id: string
  kind: EvidenceKind
  log: string
  detectedAt: string
  detail: string
  /** the signed notes involved, verbatim */
  notes: string[]
  receipt?: Receipt
}

export interface Receipt {
  jobId: string
  log: string
  /** hex SHA-256 of our signed result's payload */
  resultDigest: string
  assignmentDigest: string
  ackedAt: number
  proven?: { index: number, treeSize: number, hashes: string[], note: string }
  /** when its absence was stored as evidence (raised once, not at every checkpoint) */
  reportedAt?: number
}

interface LogState {
  merkle: MerkleLog
  book: Book
  /** size at which our recomputed root matched a signed checkpoint */
  verifiedSize: number
  note: string
  /** a log caught lying is frozen until an operator looks */
  frozen: boolean
  /** our own copy is damaged (disk fault, hand edit): not the coordinator's doing, so not evidence */
  damaged?: string
  queue: Promise<unknown>
}

export interface ReplicaInit {
  path: string
  meshId: string
  self: string
  fetcher: LedgerFetcher
  /** a receipt not in any checkpoint received this long after its ack is evidence */
  receiptGraceMs?: number
  onAlert?: (e: Evidence) => void
  /** our own copy of a log is damaged (found when it is loaded) */
  onDamage?: (message: string) => void
}

/** entries stored per LevelDB batch while syncing */
const WRITE_BATCH = 2000

export interface ReplicaEvents extends Record<string, unknown> {
  /** a stored receipt was read to prove it (or to report it missing) */
  'receipt:examined': { log: string, jobId: string }
}

export interface CheckpointOutcome { log: string, size: number, verified: boolean, fetched: number, receiptsProven: number, evidence: Evidence[] }

export class LedgerReplica {
  private readonly db: Level<string, string>
  private readonly stateDb
  private readonly receiptsDb
  /** `<log>/<job id>` of every receipt neither proven nor reported missing: what a checkpoint looks at */
  private readonly openReceiptsDb
  private readonly metaDb
  private readonly evidenceDb
  private readonly logs = new Map<string, LogState>()
  /** what the replica does, for whoever watches (tests count the receipts a checkpoint reads) */
  readonly events = new TypedEmitter<ReplicaEvents>()

  constructor (private readonly init: ReplicaInit) {
    this.db = new Level<string, string>(init.path, { valueEncoding: 'utf8' })
    this.stateDb = this.db.sublevel<string, string>('state', { valueEncoding: 'utf8' })
    this.receiptsDb = this.db.sublevel<string, string>('receipts', { valueEncoding: 'utf8' })
    this.openReceiptsDb = this.db.sublevel<string, string>('open-receipts', { valueEncoding: 'utf8' })
    this.metaDb = this.db.sublevel<string, string>('meta', { valueEncoding: 'utf8' })
    this.evidenceDb = this.db.sublevel<string, string>('evidence', { valueEncoding: 'utf8' })
  }

  /** the whole database, for consistent snapshots (src/ops/backup.ts) */
  get database (): Level<string, string> { return this.db }

  async open (): Promise<void> {
    await openLevel(this.db, `ledger replica ${this.init.path}`)
    await this.indexOpenReceipts()
    for await (const log of this.stateDb.keys()) await this.load(log)
  }

  /** A replica written before the open-receipt index existed gets it built once, in one batch. */
  private async indexOpenReceipts (): Promise<void> {
    if (await this.metaDb.get(RECEIPT_INDEX_KEY) != null) return
    const ops: ReceiptOp[] = []
    for await (const v of this.receiptsDb.values()) {
      const r = JSON.parse(v) as Receipt
      if (isOpen(r)) ops.push({ type: 'put', sublevel: this.openReceiptsDb, key: openKey(r.log, r.jobId), value: '' })
    }
    ops.push({ type: 'put', sublevel: this.metaDb, key: RECEIPT_INDEX_KEY, value: '1' })
    await this.db.batch(ops)
  }

  async close (): Promise<void> {
    await Promise.allSettled([...this.logs.values()].map(async s => await s.queue))
    await this.db.close()
  }

  /** Logs held here, with what was verified. */
  list (): Array<{ log: string, size: number, verifiedSize: number, frozen: boolean, damaged?: string }> {
    return [...this.logs].map(([log, s]) => ({ log, size: s.merkle.size, verifiedSize: s.verifiedSize, frozen: s.frozen, damaged: s.damaged }))
  }

  has (log: string): boolean { return this.logs.has(log) }

  state (log: string): LogState {
    const s = this.logs.get(log)
    if (s == null) throw new UnknownLogError(`no replica of log ${log} here`)
    return s
  }

  private async load (log: string): Promise<LogState> {
    const existing = this.logs.get(log)
    if (existing != null) return existing
    const merkle = await MerkleLog.open(this.db.sublevel<string, string>(`log:${log}`, { valueEncoding: 'utf8' }))
    const book = new Book(log)
    const saved = await this.stateDb.get(log)
    const st = saved != null ? JSON.parse(saved) as { verifiedSize: number, note: string, frozen: boolean } : { verifiedSize: 0, note: '', frozen: false }
    const s: LogState = { merkle, book, verifiedSize: st.verifiedSize, note: st.note, frozen: st.frozen, queue: Promise.resolve() }
    // balances come from verified entries only; entries past that wait for their checkpoint.
    // A copy that no longer replays is kept as it is and reported, so the node still starts and
    // `ledger verify` can say what is wrong; it takes no new checkpoint until repaired.
    try {
      for await (const run of merkle.entryBatches(0, st.verifiedSize)) book.applyRun(run.index, run.entries)
    } catch (err) {
      s.damaged = `our replica of log ${log} is damaged: ${(err as Error).message} (move ${this.init.path} aside and restart to fetch it again)`
      this.init.onDamage?.(s.damaged)
    }
    this.logs.set(log, s)
    if (saved == null) await this.saveState(log, s)
    return s
  }

  private async saveState (log: string, s: LogState): Promise<void> {
    await this.stateDb.put(log, JSON.stringify({ verifiedSize: s.verifiedSize, note: s.note, frozen: s.frozen }))
  }

  /** Remembers a result this node was paid for, to prove it is in the log. */
  async addReceipt (r: Omit<Receipt, 'proven'>): Promise<void> {
    await this.storeReceipt(r)
  }

  /**
   * Writes a receipt and its place in the open-receipt index in one batch, so a crash never leaves
   * an open receipt out of the index (it would never be proven) or a closed one in it.
   */
  private async storeReceipt (r: Receipt): Promise<void> {
    const key = openKey(r.log, r.jobId)
    await this.db.batch([
      { type: 'put', sublevel: this.receiptsDb, key: r.jobId, value: JSON.stringify(r) },
      isOpen(r) ? { type: 'put', sublevel: this.openReceiptsDb, key, value: '' } : { type: 'del', sublevel: this.openReceiptsDb, key }
    ] satisfies ReceiptOp[])
  }

  async receipts (log?: string): Promise<Receipt[]> {
    const out: Receipt[] = []
    for await (const v of this.receiptsDb.values()) {
      const r = JSON.parse(v) as Receipt
      if (log == null || r.log === log) out.push(r)
    }
    return out
  }

  async evidence (): Promise<Evidence[]> {
    const out: Evidence[] = []
    for await (const v of this.evidenceDb.values()) out.push(JSON.parse(v) as Evidence)
    return out
  }

  /** Processes a signed checkpoint of `log` (from gossip or asked for). Serialized per log. */
  async onCheckpoint (log: string, note: string, signal: AbortSignal = AbortSignal.timeout(120_000)): Promise<CheckpointOutcome> {
    const s = await this.load(log)
    const run = s.queue.then(async () => await this.process(log, s, note, signal))
    s.queue = run.catch(() => {})
    return await run
  }

  private verifierKey (log: string): string {
    const pk = peerIdFromString(log).publicKey
    if (pk == null) throw new UnknownLogError(`log ${log} is not an Ed25519 peer id`)
    return noteVerifierKey(logOrigin(this.init.meshId, log), pk.raw)
  }

  private async process (log: string, s: LogState, note: string, signal: AbortSignal): Promise<CheckpointOutcome> {
    const out: CheckpointOutcome = { log, size: s.verifiedSize, verified: false, fetched: 0, receiptsProven: 0, evidence: [] }
    let cp
    try {
      const opened = openNote(note, [this.verifierKey(log)])
      cp = parseCheckpoint(opened.text)
      if (cp.origin !== logOrigin(this.init.meshId, log)) throw new CheckpointMismatchError(`checkpoint origin "${cp.origin}" is not log ${log}`)
    } catch (err) {
      // a bad signature proves nothing about the coordinator (anyone can send junk): refuse, no evidence
      throw err instanceof Error ? err : new Error(String(err))
    }
    if (s.frozen) {
      out.size = s.verifiedSize
      return out
    }
    if (s.damaged != null) throw new ReplicaDamagedError(s.damaged)
    const size = cp.size
    if (size <= s.verifiedSize) {
      // an older or equal checkpoint must agree with what we verified
      const ours = await s.merkle.root(size)
      if (!bytesEqual(ours, cp.rootHash)) {
        out.evidence.push(await this.raise(log, s, 'fork', `two signed checkpoints disagree at size ${size}: held root ${b64(ours)}, new root ${b64(cp.rootHash)}`, [await this.noteFor(s, size), note]))
      }
      out.verified = out.evidence.length === 0
      out.size = s.verifiedSize
      // the same checkpoint again: receipts added since it was verified are checked against it now
      if (out.verified && size === s.verifiedSize) {
        const r = await this.proveReceipts(log, s, s.note, cp.rootHash, signal)
        out.receiptsProven = r.proven
        out.evidence.push(...r.evidence)
      }
      return out
    }
    // Entries past the verified size are replayed into a draft of the balances as they arrive (and
    // stored), so nothing is read back afterwards; the draft is committed only once the stored
    // entries hash to the signed root. A broken invariant is held until then: a root mismatch is
    // reported first, as it would be if the replay came after.
    const draft = s.book.draft()
    let invalid: Error | undefined
    const replay = (index: number, entries: Uint8Array[]): void => {
      if (invalid != null) return
      try { draft.applyRun(index, entries) } catch (err) { invalid = err as Error }
    }
    // entries already stored past the verified size (an interrupted sync) are kept
    const start = s.merkle.size
    for await (const run of s.merkle.entryBatches(draft.size, Math.min(start, size), { signal })) replay(run.index, run.entries)
    // who served the unverified entries: only the log's owner can be blamed for them
    const servedBy = new Set<string>()
    if (start > s.verifiedSize) servedBy.add('an earlier, interrupted sync')
    if (start < size) out.fetched = await this.fetch(log, s, start, size, replay, servedBy, signal)
    if (s.merkle.size < size) throw new CheckpointMismatchError(`replica has ${s.merkle.size} entries, checkpoint ${size}`)
    const ours = await s.merkle.root(size)
    if (!bytesEqual(ours, cp.rootHash) && [...servedBy].some(p => p !== log)) {
      // a relay's (or an unknown source's) entries prove nothing against the coordinator: drop
      // them, raise nothing, and fetch again from the coordinator at the next checkpoint
      await s.merkle.truncate(s.verifiedSize, { signal })
      throw new CheckpointMismatchError(`entries ${s.verifiedSize}..${size} from ${[...servedBy].filter(p => p !== log).join(', ')} do not produce the signed root; discarded (no evidence: they did not all come from the coordinator)`)
    }
    if (!bytesEqual(ours, cp.rootHash)) {
      s.frozen = true
      out.evidence.push(await this.raise(log, s, 'root-mismatch', `entries ${s.verifiedSize}..${size} do not produce the signed root: ours ${b64(ours)}, signed ${b64(cp.rootHash)}`, [s.note, note].filter(n => n !== '')))
      return out
    }
    // No consistency proof is asked for: the replica holds the entries themselves, and the root it
    // verified before and the new one are both its own hashes of one stored, append-only sequence,
    // so the new tree extends the old by construction (a proof would add a request per checkpoint
    // per replica and prove nothing more; auditors without the entries still get proofs on request)
    if (invalid == null && draft.size !== size) invalid = new LedgerInvariantError(`replayed ${draft.size} entries, the checkpoint has ${size}`)
    if (invalid != null) {
      s.frozen = true
      out.evidence.push(await this.raise(log, s, 'invariant', invalid.message, [note]))
      return out
    }
    draft.commit()
    s.verifiedSize = size
    s.note = note
    await this.saveState(log, s)
    out.verified = true
    out.size = size
    const r = await this.proveReceipts(log, s, note, cp.rootHash, signal)
    out.receiptsProven = r.proven
    out.evidence.push(...r.evidence)
    return out
  }

  /**
   * Fetches entries [start, size) into our copy of the log: each run goes to `replay` as it
   * arrives, and is stored in LevelDB batches of WRITE_BATCH entries, one batch being written while
   * the next runs arrive. Returns how many entries were stored.
   */
  private async fetch (log: string, s: LogState, start: number, size: number, replay: (index: number, entries: Uint8Array[]) => void, servedBy: Set<string>, signal: AbortSignal): Promise<number> {
    let next = start
    let stored = 0
    let pending: Uint8Array[] = []
    let writeErr: Error | undefined
    // never rejects: a failed write is kept in writeErr and thrown at the next flush or at the end
    let writing: Promise<void> = Promise.resolve()
    const flush = async (): Promise<void> => {
      await writing
      if (writeErr != null) throw writeErr
      const batch = pending
      pending = []
      writing = s.merkle.append(batch, { signal }).then(() => { stored += batch.length }, (err: Error) => { writeErr = err })
    }
    try {
      for await (const run of this.init.fetcher.sync(log, start, size, signal)) {
        if (run.index !== next) throw new CheckpointMismatchError(`sync sent entry ${run.index}, expected ${next}`)
        if (run.entries.length > size - next) throw new CheckpointMismatchError(`sync sent entries past ${size}, the checkpoint's size`)
        replay(run.index, run.entries)
        servedBy.add(run.from ?? 'an unnamed source')
        next += run.entries.length
        for (const e of run.entries) pending.push(e)
        if (pending.length >= WRITE_BATCH) await flush()
      }
      if (pending.length > 0) await flush()
    } catch (err) {
      // what arrived in order before the stream broke is kept, so the next sync resumes after it
      if (pending.length > 0 && writeErr == null && !signal.aborted) await flush().catch(() => {})
      throw err
    } finally {
      // the batch being written ends before we return, whatever happened
      await writing
    }
    if (writeErr != null) throw writeErr
    if (next < size) throw new CheckpointMismatchError(`sync ended at ${next}, the checkpoint has ${size} entries`)
    return stored
  }

  /**
   * Proves the open receipts of `log` against the tree of the checkpoint just verified, or reports
   * them missing once their grace period is over. Only receipts in the open-receipt index are read:
   * a proven (or reported) receipt is never looked at again, so a checkpoint costs what is still
   * open, not the node's whole history.
   */
  private async proveReceipts (log: string, s: LogState, note: string, root: Uint8Array, signal: AbortSignal): Promise<{ proven: number, evidence: Evidence[] }> {
    let proven = 0
    const evidence: Evidence[] = []
    const grace = this.init.receiptGraceMs ?? 30_000
    const keys: string[] = []
    for await (const k of this.openReceiptsDb.keys(openRange(log))) keys.push(k)
    const jobIds = keys.map(k => k.slice(log.length + 1))
    const values = jobIds.length === 0 ? [] : await this.receiptsDb.getMany(jobIds)
    for (const [i, jobId] of jobIds.entries()) {
      signal.throwIfAborted()
      this.events.emit('receipt:examined', { log, jobId })
      const v = values[i]
      const r = v == null ? undefined : JSON.parse(v) as Receipt
      if (r == null || r.log !== log || !isOpen(r)) {
        // the receipt was replaced or removed since it was indexed: the index entry goes
        await this.openReceiptsDb.del(keys[i])
        continue
      }
      const missing = async (detail: string): Promise<void> => {
        evidence.push(await this.raise(log, s, 'missing-receipt', detail, [note], r))
        r.reportedAt = Date.now()
        await this.storeReceipt(r)
      }
      const index = s.book.settledAt(r.jobId)
      if (index == null) {
        if (Date.now() - r.ackedAt > grace) await missing(`job ${r.jobId}: result ${r.resultDigest} acknowledged ${new Date(r.ackedAt).toISOString()} is not settled in the log at size ${s.verifiedSize}`)
        continue
      }
      const entry = LedgerEntry.decode(await s.merkle.entry(index))
      const st = entry.settlement
      const paid = entry.postings.filter(p => p.account === this.init.self).reduce((a, p) => a + p.delta, 0n)
      if (st == null || st.worker !== this.init.self || toHex(st.resultDigest) !== r.resultDigest) {
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
      await this.storeReceipt(r)
      proven++
    }
    return { proven, evidence }
  }

  private async noteFor (s: LogState, _size: number): Promise<string> {
    return s.note
  }

  private async raise (log: string, s: LogState, kind: EvidenceKind, detail: string, notes: string[], receipt?: Receipt): Promise<Evidence> {
    const e: Evidence = { id: `${Date.now().toString(36)}-${kind}-${Math.random().toString(36).slice(2, 8)}`, kind, log, detectedAt: new Date().toISOString(), detail, notes, receipt }
    await this.evidenceDb.put(e.id, JSON.stringify(e))
    if (s.frozen) await this.saveState(log, s)
    this.init.onAlert?.(e)
    return e
  }

  /** Asks the log's coordinator (or a peer holding it) for its newest checkpoint and processes it. */
  async reconcile (log: string, signal: AbortSignal): Promise<CheckpointOutcome> {
    const note = await this.init.fetcher.latestCheckpoint(log, signal)
    return await this.onCheckpoint(log, note, signal)
  }

  /** Recomputes the root over every held entry and compares it with the held checkpoint. */
  async verify (log: string): Promise<{ log: string, size: number, root: string, checkpointRoot: string, ok: boolean, frozen: boolean, problem?: string }> {
    const s = this.state(log)
    if (s.note === '') return { log, size: 0, root: '', checkpointRoot: '', ok: !s.frozen, frozen: s.frozen }
    const cp = parseCheckpoint(openNote(s.note, [this.verifierKey(log)]).text)
    if (s.damaged != null) return { log, size: cp.size, root: '', checkpointRoot: b64(cp.rootHash), ok: false, frozen: s.frozen, problem: s.damaged }
    // rebuild from raw entries, not from stored subtree hashes (those could be what was tampered)
    let recomputed: Uint8Array
    try {
      recomputed = await s.merkle.verifyAll()
    } catch (err) {
      if ((err as Error).name !== 'LogCorruptError') throw err
      return { log, size: cp.size, root: '', checkpointRoot: b64(cp.rootHash), ok: false, frozen: s.frozen, problem: (err as Error).message }
    }
    const atSize = s.merkle.size === cp.size ? recomputed : await s.merkle.root(cp.size)
    const ok = bytesEqual(atSize, cp.rootHash) && !s.frozen
    return { log, size: cp.size, root: b64(atSize), checkpointRoot: b64(cp.rootHash), ok, frozen: s.frozen }
  }

  balance (log: string, account: string): bigint {
    return this.state(log).book.balance(account)
  }
}

function b64 (b: Uint8Array): string {
  return Buffer.from(b).toString('base64')
}

const RECEIPT_INDEX_KEY = 'open-receipt-index'
/** the open-receipt index key: log ids (base58 peer ids) contain no '/' */
const openKey = (log: string, jobId: string): string => `${log}/${jobId}`
/** every open-receipt key of `log` ('0' is the character after '/') */
const openRange = (log: string): { gt: string, lt: string } => ({ gt: `${log}/`, lt: `${log}0` })
/** a receipt a checkpoint still has to prove (or report missing) */
const isOpen = (r: Receipt): boolean => r.proven == null && r.reportedAt == null

type ReceiptOp = BatchOperation<Level<string, string>, string, string>
