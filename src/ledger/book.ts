// Balances and settled jobs derived from a log's entries. Coordinators and replicas run the same
// code over the same entries, so both arrive at the same balances, and a log that breaks an
// invariant (postings that do not sum to zero, a job paid twice, a fee off the policy) is caught by
// whoever replays it.
import { LedgerEntry } from '../wire/pb/ledger.js'
import { DEFAULT_POLICY, feeOf, policyFromPb, type Policy } from './policy.js'
import { LedgerInvariantError } from '../errors/index.js'

export const MINT_ACCOUNT = 'mint'

export class Book {
  readonly balances = new Map<string, bigint>()
  /** job id -> index of its settlement entry */
  readonly settledJobs = new Map<string, number>()
  /** accounts that already got their welcome grant */
  readonly granted = new Set<string>()
  policy: Policy = DEFAULT_POLICY
  size = 0
  totals = { minted: 0n, fees: 0n, paidToWorkers: 0n, charged: 0n }
  /** end of the last issuance window minted */
  lastWindowEnd = 0
  /** the fee fraction (1/10000ths of a credit) carried to the next settlement ('carry' rule); 0 at each POLICY entry */
  feeCarry = 0n
  /** index of the POLICY entry in force (-1: none yet, the defaults) */
  policyIndex = -1

  /** @param owner the coordinator whose log this is (fees go to it) */
  constructor (readonly owner: string) {}

  balance (account: string): bigint {
    return this.balances.get(account) ?? 0n
  }

  /** whether `account` had its welcome grant */
  hasGrant (account: string): boolean {
    return this.granted.has(account)
  }

  /** index of the entry that settled `jobId`, if any */
  settledAt (jobId: string): number | undefined {
    return this.settledJobs.get(jobId)
  }

  /**
   * A book that applies entries on top of this one without changing it: its maps hold only what
   * the new entries changed and read through to this book for the rest, so a draft costs what is
   * applied to it, not the history. `commit` folds it into this book; dropping it forgets it.
   * A replica replays unverified entries into a draft while they arrive, and commits it only once
   * they hash to the signed root.
   */
  draft (): BookDraft {
    return new BookDraft(this)
  }

  /** Applies consecutive entries from `index` on (a run read or received at once). */
  applyRun (index: number, entries: Uint8Array[]): void {
    for (let i = 0; i < entries.length; i++) this.apply(index + i, entries[i])
  }

  /** Applies entry `index` (which must be the next one); throws LedgerInvariantError if it is not sound. */
  apply (index: number, bytes: Uint8Array): LedgerEntry {
    if (index !== this.size) throw new LedgerInvariantError(`entry ${index} applied out of order (expected ${this.size})`)
    let e: LedgerEntry
    try {
      e = LedgerEntry.decode(bytes)
    } catch (err) {
      throw new LedgerInvariantError(`entry ${index} does not decode: ${(err as Error).message}`)
    }
    const bad = (why: string): never => { throw new LedgerInvariantError(`entry ${index}: ${why}`) }
    let sum = 0n
    for (const p of e.postings) {
      if (p.account === '') bad('posting without an account')
      sum += p.delta
    }
    if (sum !== 0n) bad(`postings sum to ${sum.toString()}, not 0`)
    switch (e.kind) {
      case LedgerEntry.Kind.SETTLEMENT: {
        const s = e.settlement ?? bad('settlement entry without settlement')
        const earlier = this.settledAt(s.jobId)
        if (earlier != null) bad(`job ${s.jobId} already settled at entry ${earlier}`)
        const due = feeOf(this.policy, s.price, this.feeCarry)
        if (s.fee !== due.fee) bad(`fee ${s.fee.toString()} is not the policy fee of price ${s.price.toString()} (${due.fee.toString()}, ${this.policy.feeRounding} rule)`)
        this.feeCarry = due.carry
        // per account, what the postings move minus what price, fee and parties say they should:
        // all zero (nets of zero count as absent, e.g. a worker running its own job at a zero fee)
        const diff = new Map<string, bigint>()
        for (const p of e.postings) diff.set(p.account, (diff.get(p.account) ?? 0n) + p.delta)
        diff.set(s.owner, (diff.get(s.owner) ?? 0n) + s.price)
        diff.set(s.worker, (diff.get(s.worker) ?? 0n) - (s.price - s.fee))
        diff.set(this.owner, (diff.get(this.owner) ?? 0n) - s.fee)
        for (const d of diff.values()) if (d !== 0n) bad('settlement postings do not match price, fee and parties')
        this.settledJobs.set(s.jobId, index)
        this.totals.charged += s.price
        this.totals.fees += s.fee
        this.totals.paidToWorkers += s.price - s.fee
        break
      }
      case LedgerEntry.Kind.MINT: {
        for (const p of e.postings) {
          if (p.account === MINT_ACCOUNT ? p.delta > 0n : p.delta < 0n) bad('a mint only moves credits out of the mint account')
          if (p.account !== MINT_ACCOUNT) this.totals.minted += p.delta
        }
        if (e.mint?.reason === 'welcome-grant') {
          // one account per grant, one grant per account (logs from before approvals pass this too)
          const to = e.postings.filter(p => p.account !== MINT_ACCOUNT).map(p => p.account)
          if (to.length !== 1) bad(`a welcome grant credits ${to.length} accounts, not 1`)
          if (this.hasGrant(to[0])) bad(`account ${to[0]} already had its welcome grant`)
          this.granted.add(to[0])
        }
        if (e.mint?.reason === 'issuance-window') this.lastWindowEnd = Math.max(this.lastWindowEnd, Number(e.mint.windowEndMs))
        break
      }
      case LedgerEntry.Kind.POLICY: {
        if (e.policy == null) bad('policy entry without values')
        try {
          this.policy = policyFromPb(e.policy as NonNullable<LedgerEntry['policy']>)
        } catch (err) {
          bad((err as Error).message)
        }
        // a fee period per POLICY entry: its fees sum to its feeBps of what it charged
        this.feeCarry = 0n
        this.policyIndex = index
        break
      }
      case LedgerEntry.Kind.ADJUSTMENT:
        if (e.adminAction == null) bad('adjustment without the signed admin action')
        break
    }
    for (const p of e.postings) this.balances.set(p.account, this.balance(p.account) + p.delta)
    this.size = index + 1
    return e
  }
}

export class BookDraft extends Book {
  private readonly baseSize: number

  constructor (private readonly base: Book) {
    super(base.owner)
    this.policy = base.policy
    this.size = this.baseSize = base.size
    this.totals = { ...base.totals }
    this.lastWindowEnd = base.lastWindowEnd
    this.feeCarry = base.feeCarry
    this.policyIndex = base.policyIndex
  }

  override balance (account: string): bigint {
    return this.balances.get(account) ?? this.base.balance(account)
  }

  override hasGrant (account: string): boolean {
    return this.granted.has(account) || this.base.hasGrant(account)
  }

  override settledAt (jobId: string): number | undefined {
    return this.settledJobs.get(jobId) ?? this.base.settledAt(jobId)
  }

  /** Folds what was applied here into the book it was drafted from (which must not have moved since). */
  commit (): void {
    const b = this.base
    if (b.size !== this.baseSize) throw new LedgerInvariantError(`draft from entry ${this.baseSize} committed onto a book at ${b.size}`)
    for (const [k, v] of this.balances) b.balances.set(k, v)
    for (const [k, v] of this.settledJobs) b.settledJobs.set(k, v)
    for (const a of this.granted) b.granted.add(a)
    b.policy = this.policy
    b.size = this.size
    b.totals = { ...this.totals }
    b.lastWindowEnd = this.lastWindowEnd
    b.feeCarry = this.feeCarry
    b.policyIndex = this.policyIndex
  }
}
