// A coordinator's credit ledger: its append-only log (RFC 6962 tree in LevelDB), balances derived
// from it, exactly-once settlement of jobs, issuance windows, and signed C2SP checkpoints. Held
// credits, checkpoints, issuance windows, catching up after a restore and the entries it writes
// are in files beside this one.
import { openLevel } from '../util/open-level.js'
import { Level } from 'level'
import type { PrivateKey } from '@libp2p/interface'
import { MerkleLog, type LogOptions } from './merkle/merkle-log.js'
import { noteVerifierKey, openNote, parseCheckpoint } from './merkle/checkpoint.js'
import { LedgerEntry } from '../wire/pb/ledger.js'
import { Book } from './book.js'
import { AppendQueue } from './append-queue.js'
import { DEFAULT_POLICY, feeOf, policyToPb, quote, type Policy } from './policy.js'
import { InsufficientCreditsError, PriceTooLowError, LedgerInvariantError, LedgerAppendsHeldError, CheckpointMismatchError } from '../errors/index.js'
import { DataDirError } from '../errors/index.js'
import type { JobRecord } from '../jobs/types.js'
import type { SignedEnvelope } from '../wire/pb/envelope.js'
import { welcomeGrantEntry, type LedgerAccounts } from './grants.js'
import { Reservations } from './reservations.js'
import { Checkpoints } from './ledger-checkpoints.js'
import { policyWith, settlementEntry } from './ledger-entries.js'
import { IssuanceWindow } from './issuance-window.js'
import { catchUpTo } from './ledger-catch-up.js'

export interface CoordinatorLedgerInit {
  path: string
  meshId: string
  /** this coordinator's peer id string */
  owner: string
  privateKey: PrivateKey
  /** a checkpoint after this many new entries ... */
  checkpointEvery?: number
  /** ... or this long after the first entry not yet in a checkpoint (default 5 s) */
  checkpointIntervalMs?: number
  /** policy written as the log's first entry when the log is new */
  genesisPolicy?: Policy
  onCheckpoint?: (note: string) => void
  /** who may be granted credits, and who shares an operator; absent: no welcome grants at all */
  accounts?: LedgerAccounts
}

export function logOrigin (meshId: string, coordinator: string): string {
  return `edgecoder/${meshId}/${coordinator}`
}

export class CoordinatorLedger {
  readonly origin: string
  readonly book: Book
  private readonly db: Level<string, string>
  private log?: MerkleLog
  private queue?: AppendQueue
  private readonly checkpoints: Checkpoints
  /** credits held for queued and running jobs */
  private readonly reservations = new Reservations()
  /** jobs whose settlement is being appended: a second caller waits for the same write */
  private readonly settling = new Map<string, Promise<number>>()
  /** welcome grants being decided, by account: concurrent first submits share one */
  private readonly granting = new Map<string, Promise<void>>()
  /** what workers earned in the current issuance window */
  private readonly issuance = new IssuanceWindow()
  private timer?: ReturnType<typeof setInterval>
  private failed?: Error
  /** why appends are held (a restore not yet caught up); undefined: appends go ahead */
  private held?: string

  constructor (private readonly init: CoordinatorLedgerInit) {
    this.origin = logOrigin(init.meshId, init.owner)
    this.book = new Book(init.owner)
    this.db = new Level<string, string>(init.path, { valueEncoding: 'utf8' })
    this.checkpoints = new Checkpoints(this.db, this.origin, init, {
      merkle: () => this.merkle,
      flushed: async () => { await this.queue?.flushed() },
      size: () => this.book.size
    })
  }

  /** The signed-note verifier key of this log: `<origin>+<key id>+<base64 key>`. */
  get noteKey (): string {
    return noteVerifierKey(this.origin, this.init.privateKey.publicKey.raw)
  }

  get size (): number { return this.book.size }
  /** the whole database, for consistent snapshots (src/ops/backup.ts) */
  get database (): Level<string, string> { return this.db }
  /** tree size of the newest signed checkpoint (-1 before the first) */
  get checkpointSize (): number { return this.checkpoints.size }

  async open (): Promise<void> {
    await openLevel(this.db, `ledger ${this.init.path}`)
    this.log = await MerkleLog.open(this.db.sublevel<string, string>('log', { valueEncoding: 'utf8' }))
    this.queue = new AppendQueue(this.log)
    for await (const run of this.log.entryBatches(0, this.log.size)) this.book.applyRun(run.index, run.entries)
    if (this.book.size === 0) {
      await this.appendEntry({ kind: LedgerEntry.Kind.POLICY, timeMs: BigInt(Date.now()), postings: [], policy: policyToPb(this.init.genesisPolicy ?? DEFAULT_POLICY), memo: 'genesis policy' })
    }
    await this.checkpoints.open()
    this.issuance.start = this.book.lastWindowEnd > 0 ? this.book.lastWindowEnd : Date.now()
    // the window in progress at a restart: rebuild contributions from this window's settlements
    this.timer = setInterval(() => { void this.tick() }, Math.min(1_000, this.checkpoints.intervalMs))
    this.timer.unref?.()
  }

  async close (): Promise<void> {
    if (this.timer != null) clearInterval(this.timer)
    await this.queue?.flushed()
    if (this.failed == null && this.book.size > this.checkpoints.size) await this.checkpoint().catch(() => {})
    await this.db.close()
  }

  private get merkle (): MerkleLog {
    if (this.log == null) throw new DataDirError('ledger is not open')
    return this.log
  }

  /** Appends one entry: applied to the balances at once (in order), durable when this resolves. */
  /**
   * An admin's signed POLICY_SET for a pricing, fee or issuance key: a POLICY entry carrying the
   * signed action, so every replica sees which key signed the change and prices from it on.
   * Returns the entry index, or undefined for keys that are not ledger policy.
   */
  async setPolicyValue (key: string, value: unknown, adminAction: SignedEnvelope): Promise<number | undefined> {
    const p = policyWith(this.policy, key, value)
    if (p == null) return undefined
    return await this.appendEntry({ kind: LedgerEntry.Kind.POLICY, timeMs: BigInt(Date.now()), postings: [], policy: policyToPb(p), adminAction, memo: `policy ${key} set by an admin` })
  }

  /**
   * Applies an entry to the in-memory book at once and resolves when it is durable. `applied` runs
   * in the same synchronous step as the book change, for state that must move with the balances.
   */
  private async appendEntry (e: LedgerEntry, applied?: () => void): Promise<number> {
    if (this.failed != null) throw new DataDirError(`ledger stopped after a write failure: ${this.failed.message}`)
    this.assertAppendable()
    const bytes = LedgerEntry.encode(e)
    const expected = this.book.size
    // the first entry past the latest checkpoint starts its interval
    this.checkpoints.appending(expected)
    this.book.apply(expected, bytes)
    applied?.()
    try {
      const index = await (this.queue as AppendQueue).append(bytes)
      if (index !== expected) throw new LedgerInvariantError(`entry landed at ${index}, expected ${expected}`)
      if (this.checkpoints.full()) void this.checkpoint().catch(() => {})
      return index
    } catch (err) {
      // memory is now ahead of disk: refuse everything until a restart replays the log
      this.failed = err as Error
      throw err
    }
  }

  get policy (): Policy { return this.book.policy }

  /** credits held for `account`'s queued and running jobs, and how many jobs they are */
  holds (account: string): { credits: bigint, jobs: number } { return this.reservations.holds(account) }

  available (account: string): bigint {
    return this.book.balance(account) - this.reservations.held(account)
  }

  /**
   * Prices a new job and holds the credits; refuses (before the job is queued) when the owner
   * cannot pay or offered less than the price. An admitted account that never had the welcome
   * grant gets it first, once, backed by its signed approval.
   */
  async reserve (jobId: string, owner: string, executor: string, offered: bigint, queued: number, workers: number): Promise<bigint> {
    this.assertAppendable()
    const held = this.reservations.price(jobId)
    if (held != null) return held
    const price = quote(this.policy, executor, queued, workers)
    if (offered > 0n && offered < price) throw new PriceTooLowError(`offered ${offered.toString()} credits, the price of a ${executor} job is now ${price.toString()}`)
    if (this.available(owner) < price && !this.book.hasGrant(owner) && this.policy.welcomeGrant > 0n) await this.grantWelcome(owner)
    const available = this.available(owner)
    if (available < price) throw new InsufficientCreditsError(`account ${owner} has ${available.toString()} credits available, the job costs ${price.toString()}`)
    this.hold(jobId, owner, price)
    return price
  }

  private async grantWelcome (account: string): Promise<void> {
    let pending = this.granting.get(account)
    if (pending == null) {
      pending = (async () => {
        const approval = await this.init.accounts?.approvalOf(account)
        // checked again after the wait; the grant is in the book in the same step as this check
        if (approval == null || this.book.hasGrant(account) || this.policy.welcomeGrant <= 0n) return
        await this.appendEntry(welcomeGrantEntry(account, this.policy.welcomeGrant, approval))
      })().finally(() => { this.granting.delete(account) })
      this.granting.set(account, pending)
    }
    await pending
  }

  /** Re-holds credits for a job that survived a restart (its price was fixed at submission). */
  hold (jobId: string, owner: string, price: bigint): void { this.reservations.hold(jobId, owner, price) }

  release (jobId: string): void { this.reservations.release(jobId) }

  /** The settlement entry of a job, if the log has one. */
  async settlementOf (jobId: string): Promise<{ outcome: string, worker: string, attempt: number } | undefined> {
    const index = this.book.settledJobs.get(jobId)
    if (index == null) return undefined
    const s = LedgerEntry.decode(await this.merkle.entry(index)).settlement
    return s != null ? { outcome: s.outcome, worker: s.worker, attempt: s.attempt } : undefined
  }

  isSettled (jobId: string): boolean {
    return this.book.settledJobs.has(jobId) || this.settling.has(jobId)
  }

  /** Pays for a finished job exactly once, whatever retries, duplicates or restarts happen. */
  async settle (rec: JobRecord): Promise<number | undefined> {
    const r = rec.result
    if (r == null || r.error != null || (rec.state !== 'succeeded' && rec.state !== 'failed')) return undefined
    // a duplicate result while the first is being written: durable only when that write is
    const pending = this.settling.get(rec.id)
    if (pending != null) return await pending
    if (this.book.settledJobs.has(rec.id)) return this.book.settledJobs.get(rec.id)
    const written = this.writeSettlement(rec, r)
    this.settling.set(rec.id, written)
    try {
      return await written
    } finally {
      this.settling.delete(rec.id)
    }
  }

  private async writeSettlement (rec: JobRecord, r: NonNullable<JobRecord['result']>): Promise<number> {
    const price = BigInt(rec.price ?? '0')
    // computed and applied in one synchronous step (appendEntry applies before it awaits), so the
    // carried fraction is the book's at this very entry
    const fee = feeOf(this.policy, price, this.book.feeCarry).fee
    // the owner is debited and the hold dropped in one step: released only after the write, the
    // price counted twice meanwhile and a concurrent submission by the owner could be refused
    const index = await this.appendEntry(settlementEntry(rec, r, price, fee, this.init.owner), () => { this.release(rec.id) })
    // an operator paying itself (its own account, or one enrolled under the same token) is not
    // contribution: issuance would otherwise reward moving credits in a circle
    const selfDealing = this.init.accounts?.sameOperator(rec.owner, r.worker) ?? rec.owner === r.worker
    if (!selfDealing) this.issuance.earned(r.worker, price - fee)
    return index
  }

  /** entries on disk (the book may be a batch ahead while a group commit is written) */
  get durableSize (): number { return this.log?.size ?? 0 }

  private async tick (): Promise<void> {
    if (this.failed != null || this.held != null) return
    const now = Date.now()
    try {
      if (now - this.issuance.start >= this.policy.issuanceWindowMs) await this.mintWindow(now)
      if (this.checkpoints.due(now)) await this.checkpoint()
    } catch {
      // surfaced through `failed` and the next caller
    }
  }

  /** Issuance: mints the window's amount to the workers who earned credits in it, by their share. */
  private async mintWindow (now: number): Promise<void> {
    const entry = this.issuance.close(now, this.policy.issuancePerWindow)
    if (entry != null) await this.appendEntry(entry)
  }

  /** Signs a checkpoint of the current tree (if it grew) and returns the newest note. */
  async checkpoint (): Promise<string> { return await this.checkpoints.sign() }

  /** The newest signed checkpoint (signing one first if the log has none). */
  async latestCheckpoint (): Promise<string> { return await this.checkpoints.latest() }

  async noteAt (size: number): Promise<string | undefined> { return await this.checkpoints.at(size) }

  /** Holds every append (submits, settlements, grants, policy, issuance) with this reason. */
  holdAppends (reason: string): void { this.held = reason }
  releaseAppends (): void { this.held = undefined }
  get appendsHeld (): string | undefined { return this.held }

  /** Throws LedgerAppendsHeldError while appends are held. */
  assertAppendable (): void {
    if (this.held != null) throw new LedgerAppendsHeldError(this.held)
  }

  /**
   * Takes in entries of our own log that another node holds, up to a checkpoint we signed (a
   * coordinator restored from an older backup): appended only while appends are held, and kept
   * only if the tree then has that checkpoint's root; otherwise the log is cut back and this throws.
   */
  async catchUp (note: string, runs: AsyncIterable<{ index: number, entries: Uint8Array[] }>): Promise<number> {
    if (this.held == null) throw new LedgerInvariantError('catching up is only done while appends are held')
    await this.queue?.flushed()
    const cp = parseCheckpoint(openNote(note, [this.noteKey]).text)
    if (cp.origin !== this.origin) throw new CheckpointMismatchError(`checkpoint of ${cp.origin}, not of this log`)
    const base = await catchUpTo(this.merkle, cp.size, cp.rootHash, runs)
    if (cp.size > base) for await (const run of this.merkle.entryBatches(base, cp.size)) this.book.applyRun(run.index, run.entries)
    await this.checkpoints.adopt(cp.size, note)
    return cp.size - Math.min(base, cp.size)
  }

  async entry (index: number): Promise<Uint8Array> { return await this.merkle.entry(index) }
  entryBatches (from: number, to: number, options?: LogOptions): AsyncIterable<{ index: number, entries: Uint8Array[] }> { return this.merkle.entryBatches(from, to, options) }
  async inclusionProof (index: number, treeSize: number): Promise<Uint8Array[]> { return await this.merkle.inclusionProof(index, treeSize) }
  async consistencyProof (from: number, to: number): Promise<Uint8Array[]> { return await this.merkle.consistencyProof(from, to) }
  async root (size?: number): Promise<Uint8Array> { return await this.merkle.root(size) }
  async leafHashAt (index: number): Promise<Uint8Array> { return await this.merkle.leafHashAt(index) }
  async verifyAll (): Promise<Uint8Array> { return await this.merkle.verifyAll() }
}
