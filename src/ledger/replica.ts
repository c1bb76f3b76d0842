// A node's local replica of the coordinators' logs it deals with. On every new checkpoint it checks
// the signature, syncs the missing entries, recomputes the root over its own copy, checks consistency
// with the checkpoint it held before, and proves that its receipts (results it was paid for) are in
// the log. Anything that cannot be true becomes stored, exportable evidence and a loud alert — the
// replica never repairs itself silently. Receipts, fetching and the evidence types are in files
// beside this one.
import { openLevel } from '../util/open-level.js'
import { Level } from 'level'
import { peerIdFromString } from '@libp2p/peer-id'
import { MerkleLog } from './merkle/merkle-log.js'
import { openNote, parseCheckpoint, noteVerifierKey } from './merkle/checkpoint.js'
import { Book } from './book.js'
import { logOrigin } from './coordinator-ledger.js'
import { CheckpointMismatchError, LedgerInvariantError, ReplicaDamagedError, UnknownLogError } from '../errors/index.js'
import { bytesEqual } from '../wire/signed.js'
import { TypedEmitter } from '../util/typed-emitter.js'
import { fetchEntries, type LedgerFetcher } from './replica-fetch.js'
import { ReceiptStore } from './replica-receipts.js'
import type { Evidence, EvidenceKind, Receipt } from './replica-evidence.js'

export type { LedgerFetcher } from './replica-fetch.js'
export type { Evidence, EvidenceKind, Receipt } from './replica-evidence.js'

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

export interface ReplicaEvents extends Record<string, unknown> {
  /** a stored receipt was read to prove it (or to report it missing) */
  'receipt:examined': { log: string, jobId: string }
}

export interface CheckpointOutcome { log: string, size: number, verified: boolean, fetched: number, receiptsProven: number, evidence: Evidence[] }

export class LedgerReplica {
  private readonly db: Level<string, string>
  private readonly stateDb
  private readonly receiptStore: ReceiptStore
  private readonly evidenceDb
  private readonly logs = new Map<string, LogState>()
  /** what the replica does, for whoever watches (tests count the receipts a checkpoint reads) */
  readonly events = new TypedEmitter<ReplicaEvents>()

  constructor (private readonly init: ReplicaInit) {
    this.db = new Level<string, string>(init.path, { valueEncoding: 'utf8' })
    this.stateDb = this.db.sublevel<string, string>('state', { valueEncoding: 'utf8' })
    this.receiptStore = new ReceiptStore(this.db, init.self, init.receiptGraceMs ?? 30_000, (log, jobId) => { this.events.emit('receipt:examined', { log, jobId }) })
    this.evidenceDb = this.db.sublevel<string, string>('evidence', { valueEncoding: 'utf8' })
  }

  /** the whole database, for consistent snapshots (src/ops/backup.ts) */
  get database (): Level<string, string> { return this.db }

  async open (): Promise<void> {
    await openLevel(this.db, `ledger replica ${this.init.path}`)
    await this.receiptStore.indexOpenReceipts()
    for await (const log of this.stateDb.keys()) await this.load(log)
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
    await this.receiptStore.store(r)
  }

  async receipts (log?: string): Promise<Receipt[]> {
    return await this.receiptStore.list(log)
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
    if (start < size) out.fetched = await fetchEntries(this.init.fetcher, s.merkle, log, start, size, replay, servedBy, signal)
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

  /** Proves the open receipts of `log` against the checkpoint just verified (see ReceiptStore.prove). */
  private async proveReceipts (log: string, s: LogState, note: string, root: Uint8Array, signal: AbortSignal): Promise<{ proven: number, evidence: Evidence[] }> {
    return await this.receiptStore.prove(log, s, note, root, signal, async (detail, r) => await this.raise(log, s, 'missing-receipt', detail, [note], r))
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
