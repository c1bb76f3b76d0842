// Issuance windows: each window's amount minted to the workers who earned credits in it, by their share.
import { LedgerEntry } from '../wire/pb/ledger.js'
import { MINT_ACCOUNT } from './book.js'
import { splitByContribution } from './policy.js'

export class IssuanceWindow {
  /** per worker: credits earned in the current issuance window (their contribution) */
  private contrib = new Map<string, bigint>()
  /** when the current window started */
  start = Date.now()

  /** `worker` earned `credits` in this window. */
  earned (worker: string, credits: bigint): void {
    this.contrib.set(worker, (this.contrib.get(worker) ?? 0n) + credits)
  }

  /** Ends the window at `now`, the next one starting: the MINT entry of `amount`, or undefined when nobody earned. */
  close (now: number, amount: bigint): LedgerEntry | undefined {
    const start = this.start
    const shares = splitByContribution(amount, this.contrib)
    this.start = now
    this.contrib = new Map()
    if (shares.size === 0) return undefined
    return issuanceEntry(shares, start, now)
  }
}

/** The MINT entry of an issuance window [start, now): each worker's share, in account order. */
function issuanceEntry (shares: Map<string, bigint>, start: number, now: number): LedgerEntry {
  let total = 0n
  const postings = [...shares].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([account, delta]) => { total += delta; return { account, delta } })
  return {
    kind: LedgerEntry.Kind.MINT,
    timeMs: BigInt(now),
    postings: [{ account: MINT_ACCOUNT, delta: -total }, ...postings],
    mint: { reason: 'issuance-window', windowStartMs: BigInt(start), windowEndMs: BigInt(now), approval: new Uint8Array() },
    memo: ''
  }
}
