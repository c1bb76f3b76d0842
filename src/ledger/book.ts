// Balances and settled jobs derived from a log's entries. Coordinators and replicas run the same
// code over the same entries, so both arrive at the same balances, and a log that breaks an
// invariant (postings that do not sum to zero, a job paid twice, a fee off the policy) is caught by
// whoever replays it.
import { LedgerEntry } from '../wire/pb/ledger.js'
import { DEFAULT_POLICY, feeOf, policyFromPb, type Policy } from './policy.js'
import { LedgerInvariantError } from './errors.js'

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

  /** @param owner the coordinator whose log this is (fees go to it) */
  constructor (readonly owner: string) {}

  balance (account: string): bigint {
    return this.balances.get(account) ?? 0n
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
        if (this.settledJobs.has(s.jobId)) bad(`job ${s.jobId} already settled at entry ${String(this.settledJobs.get(s.jobId))}`)
        if (s.fee !== feeOf(this.policy, s.price)) bad(`fee ${s.fee.toString()} is not the policy fee of price ${s.price.toString()}`)
        const expect = new Map<string, bigint>()
        const add = (a: string, d: bigint): void => { if (d !== 0n) expect.set(a, (expect.get(a) ?? 0n) + d) }
        add(s.owner, -s.price)
        add(s.worker, s.price - s.fee)
        add(this.owner, s.fee)
        const got = new Map<string, bigint>()
        for (const p of e.postings) got.set(p.account, (got.get(p.account) ?? 0n) + p.delta)
        // nets of zero drop out on both sides (a worker running its own job at a zero fee nets 0)
        for (const m of [got, expect]) for (const [k, v] of [...m]) if (v === 0n) m.delete(k)
        if (got.size !== expect.size || [...expect].some(([k, v]) => got.get(k) !== v)) bad('settlement postings do not match price, fee and parties')
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
        if (e.mint?.reason === 'welcome-grant') for (const p of e.postings) if (p.account !== MINT_ACCOUNT) this.granted.add(p.account)
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
