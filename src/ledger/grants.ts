// Welcome grants: credits minted to an account the first time it submits. A grant goes only to an
// admitted account, once, and names the signed approval it rests on, so anyone holding the log can
// check every grant offline (src/ledger/log-audit.ts). Who is admitted is admission's business; the
// ledger only asks through LedgerAccounts.
import { LedgerEntry } from '../wire/pb/ledger.js'
import type { SignedEnvelope } from '../wire/pb/envelope.js'
import { sha256 } from '../wire/signed.js'
import { MINT_ACCOUNT } from './book.js'

export const WELCOME_GRANT = 'welcome-grant'

/** What the ledger asks of admission about accounts (src/admission/admission-state.ts answers). */
export interface LedgerAccounts {
  /** the signed APPROVE admin action that admits `account`; undefined: it gets no grant */
  approvalOf: (account: string) => Promise<SignedEnvelope | undefined>
  /**
   * whether two accounts are one operator (the same account, or enrolled under one token): a
   * worker paid by its own operator's jobs did no work for anyone else, so it earns no issuance
   */
  sameOperator: (a: string, b: string) => boolean
}

/** The MINT entry of one welcome grant, carrying the approval and its digest (the audit log's id). */
export function welcomeGrantEntry (account: string, amount: bigint, approval: SignedEnvelope, now = Date.now()): LedgerEntry {
  return {
    kind: LedgerEntry.Kind.MINT,
    timeMs: BigInt(now),
    postings: [{ account: MINT_ACCOUNT, delta: -amount }, { account, delta: amount }],
    mint: { reason: WELCOME_GRANT, windowStartMs: 0n, windowEndMs: 0n, approval: sha256(approval.payload) },
    adminAction: approval,
    memo: ''
  }
}

/** The accounts a welcome grant credits (a sound one credits exactly one). */
export function grantRecipients (e: LedgerEntry): string[] {
  return e.postings.filter(p => p.account !== MINT_ACCOUNT).map(p => p.account)
}
