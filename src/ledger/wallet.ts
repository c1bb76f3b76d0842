// A user's wallet: this node's own account at each coordinator it deals with — its balance, the
// credits held for its queued and running jobs, and what is available. The balance comes from the
// verified replica when there is one; the holds (and, before the replica's first verified
// checkpoint, the balance too) are the coordinator's own figures, shown as unverified.
import type { PeerId } from '@libp2p/interface'
import type { Role } from '../identity/data-dir.js'
import type { JobClient } from '../jobs/client.js'
import type { CoordinatorLedger } from './coordinator-ledger.js'
import type { LedgerReplica } from './replica.js'
import type { LedgerService } from './ledger-service.js'

export interface WalletLogJson {
  /** the coordinator whose log this is */
  log: string
  /** the balance shown: from the verified log when `verified`, else the coordinator's figure */
  balance: string | null
  verified: boolean
  /** entries of the log the verified balance covers (0: no checkpoint verified yet) */
  verifiedSize: number
  /** credits held for queued and running jobs (the coordinator's figure); null when it could not be asked */
  held: string | null
  heldJobs: number | null
  /** balance minus held, both as the coordinator has them (consistent with each other) */
  available: string | null
  /** the coordinator's own figures, unverified; null when it could not be asked */
  coordinator: { balance: string, size: number } | null
  /** why the coordinator's figures are missing */
  coordinatorError?: string
}

export interface WalletJson {
  account: string
  role: string
  logs: WalletLogJson[]
}

/** Asks each coordinator for its figures (at most `timeoutMs` each) and pairs them with the replica's. */
/** What a wallet is read from: the node's own ledger or its replicas, and the coordinators it asks. */
export interface WalletSource {
  peerId: PeerId
  role: Role
  ledger?: CoordinatorLedger
  replica?: LedgerReplica
  ledgerService: Pick<LedgerService, 'tracked' | 'walletAt'>
  jobs: Pick<JobClient, 'awaitCoordinators'>
}

export async function wallet (node: WalletSource, opts: { log?: string, signal: AbortSignal, timeoutMs?: number }): Promise<WalletJson> {
  const account = node.peerId.toString()
  const own = node.ledger
  if (own != null && (opts.log == null || opts.log === account)) {
    // a coordinator's own account in its own log: its book is the log
    const held = own.holds(account)
    const balance = own.book.balance(account)
    return {
      account,
      role: node.role,
      logs: [{ log: account, balance: balance.toString(), verified: true, verifiedSize: own.size, held: held.credits.toString(), heldJobs: held.jobs, available: (balance - held.credits).toString(), coordinator: { balance: balance.toString(), size: own.size } }]
    }
  }
  const replica = node.replica
  let logs = opts.log != null ? [opts.log] : [...new Set([...(replica?.list() ?? []).map(l => l.log), ...node.ledgerService.tracked])]
  // from the first second: before any job, the coordinators this node would submit to
  if (logs.length === 0) logs = (await node.jobs.awaitCoordinators(opts.signal, 3_000)).map(p => p.toString())
  return {
    account,
    role: node.role,
    logs: await Promise.all(logs.map(async log => {
      const held = replica?.has(log) === true ? replica.list().find(l => l.log === log) : undefined
      const verifiedSize = held?.verifiedSize ?? 0
      const verifiedBalance = verifiedSize > 0 ? replica?.state(log).book.balance(account) : undefined
      let coordinator: WalletLogJson['coordinator'] = null
      let heldCredits: bigint | undefined
      let heldJobs: number | null = null
      let coordinatorError: string | undefined
      try {
        const w = await node.ledgerService.walletAt(log, AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs ?? 5_000)]))
        if (w == null) coordinatorError = 'the coordinator does not report wallets (an older version)'
        else {
          coordinator = { balance: w.balance.toString(), size: Number(w.size) }
          heldCredits = w.held
          heldJobs = w.heldJobs
        }
      } catch (err) {
        coordinatorError = `${(err as Error).name}: ${(err as Error).message}`
      }
      const shown = verifiedBalance ?? (coordinator != null ? BigInt(coordinator.balance) : undefined)
      const entry: WalletLogJson = {
        log,
        balance: shown?.toString() ?? null,
        verified: verifiedBalance != null,
        verifiedSize,
        held: heldCredits?.toString() ?? null,
        heldJobs,
        available: coordinator != null && heldCredits != null ? (BigInt(coordinator.balance) - heldCredits).toString() : null,
        coordinator
      }
      if (coordinatorError != null) entry.coordinatorError = coordinatorError
      return entry
    }))
  }
}

/** The text `ledger balance` prints for a wallet. */
export function walletText (w: WalletJson): string {
  const lines = [`account ${w.account}`]
  if (w.logs.length === 0) lines.push('  (no coordinator found yet: the node is still joining the mesh)')
  for (const l of w.logs) {
    lines.push(`at coordinator ${l.log}:`)
    if (l.balance == null) lines.push(`  balance    unknown: no checkpoint of this log verified yet, and the coordinator did not answer (${l.coordinatorError ?? ''})`)
    else if (l.verified) {
      const ahead = l.coordinator != null && l.coordinator.balance !== l.balance ? `; the coordinator's figure is ${l.coordinator.balance} (${l.coordinator.size - l.verifiedSize} entries not yet checkpointed)` : ''
      lines.push(`  balance    ${l.balance.padStart(10)}  verified (checkpoint of ${l.verifiedSize} entries)${ahead}`)
    } else lines.push(`  balance    ${l.balance.padStart(10)}  UNVERIFIED: the coordinator's figure (no checkpoint of its log verified here yet)`)
    if (l.held != null) lines.push(`  held       ${l.held.padStart(10)}  for ${l.heldJobs ?? 0} queued or running job${l.heldJobs === 1 ? '' : 's'}`)
    else lines.push(`  held       ${'unknown'.padStart(10)}  (${l.coordinatorError ?? 'the coordinator did not answer'})`)
    if (l.available != null) lines.push(`  available  ${l.available.padStart(10)}`)
  }
  return lines.join('\n')
}
