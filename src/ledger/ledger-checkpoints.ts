// A coordinator's signed checkpoints of its log: when one is due, signing it, and every one kept by size.
import type { Level } from 'level'
import type { PrivateKey } from '@libp2p/interface'
import type { MerkleLog } from './merkle/merkle-log.js'
import { formatCheckpoint, signNote } from './merkle/checkpoint.js'

const pad = (n: number): string => n.toString().padStart(16, '0')
/**
 * entries that force a checkpoint before its interval is up. Every replica fetches every checkpoint
 * (a sync each), so at a high settlement rate a small number here made that
 * cost grow with the number of workers per job; the interval bounds how stale a replica can be.
 */
const DEFAULT_CHECKPOINT_EVERY = 1_000
/**
 * the longest an entry waits for a checkpoint. Each checkpoint goes to every subscriber and every
 * replica fetches it, so this is per-second traffic per worker at the coordinator; a short interval
 * makes checkpoints most of the coordinator's messages per job (docs/benchmarks.md). A worker's
 * receipt has 30 s (receiptGraceMs) to show up in a checkpoint.
 */
const DEFAULT_CHECKPOINT_INTERVAL_MS = 5_000

/** the ledger's init (CoordinatorLedgerInit) as far as checkpoints go */
export interface CheckpointsInit {
  privateKey: PrivateKey
  checkpointEvery?: number
  checkpointIntervalMs?: number
  onCheckpoint?: (note: string) => void
}

/** What signing asks of the ledger. */
export interface CheckpointedLog {
  /** the Merkle log (throws while the ledger is not open) */
  merkle: () => MerkleLog
  /** resolves once everything appended so far is on disk */
  flushed: () => Promise<void>
  /** entries in the book (a batch ahead of the disk while a group commit is written) */
  size: () => number
}

export class Checkpoints {
  private readonly notes
  /** when the oldest entry not yet in a checkpoint was appended */
  private pendingSince = 0
  private latestNote = ''
  private latestNoteSize = -1
  private checkpointing?: Promise<string>

  constructor (db: Level<string, string>, private readonly origin: string, private readonly init: CheckpointsInit, private readonly log: CheckpointedLog) {
    this.notes = db.sublevel<string, string>('checkpoints', { valueEncoding: 'utf8' })
  }

  get intervalMs (): number { return this.init.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS }

  /** tree size of the newest signed checkpoint (-1 before the first) */
  get size (): number { return this.latestNoteSize }

  /** Finds the newest checkpoint signed. */
  async open (): Promise<void> {
    for await (const [k, v] of this.notes.iterator({ reverse: true, limit: 1 })) {
      this.latestNote = v
      this.latestNoteSize = Number(k)
    }
  }

  /** An entry goes in at `index`: the first entry past the latest checkpoint starts its interval. */
  appending (index: number): void {
    if (index <= Math.max(0, this.latestNoteSize)) this.pendingSince = Date.now()
  }

  /** Whether enough entries wait to sign a checkpoint before its interval is up. */
  full (): boolean {
    return this.log.size() - Math.max(0, this.latestNoteSize) >= (this.init.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY)
  }

  /** Whether an entry has waited the interval for a checkpoint. */
  due (now: number): boolean {
    return this.log.size() > this.latestNoteSize && now - this.pendingSince >= this.intervalMs
  }

  /** Signs a checkpoint of the current tree (if it grew) and returns the newest note. */
  async sign (): Promise<string> {
    if (this.checkpointing != null) return await this.checkpointing
    this.checkpointing = (async () => {
      // everything appended so far, not a quiet moment: under sustained load there is none
      await this.log.flushed()
      const merkle = this.log.merkle()
      const size = merkle.size
      if (size <= this.latestNoteSize) return this.latestNote
      const root = await merkle.root(size)
      const note = await signNote(formatCheckpoint({ origin: this.origin, size, rootHash: root }), this.origin, this.init.privateKey)
      await this.notes.put(pad(size), note)
      this.latestNote = note
      this.latestNoteSize = size
      // entries appended while this one was signed wait a whole interval of their own
      if (this.log.size() > size) this.pendingSince = Date.now()
      this.init.onCheckpoint?.(note)
      return note
    })().finally(() => { this.checkpointing = undefined })
    return await this.checkpointing
  }

  /** The newest signed checkpoint (signing one first if the log has none). */
  async latest (): Promise<string> {
    if (this.latestNoteSize < 0) return await this.sign()
    return this.latestNote
  }

  async at (size: number): Promise<string | undefined> {
    return await this.notes.get(pad(size))
  }

  /** Keeps `note`, a checkpoint of size `size` we signed before (a restored log caught up to it), if it is newer. */
  async adopt (size: number, note: string): Promise<void> {
    if (size <= this.latestNoteSize) return
    await this.notes.put(pad(size), note)
    this.latestNote = note
    this.latestNoteSize = size
  }
}
