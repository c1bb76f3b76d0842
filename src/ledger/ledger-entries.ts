// The entries a coordinator writes for a settled job and for an admin's policy change.
import { LedgerEntry } from '../wire/pb/ledger.js'
import type { FeeRounding, Policy } from './policy.js'
import type { JobRecord } from '../jobs/types.js'

/**
 * The SETTLEMENT entry of a finished job: the owner pays `price`, the worker gets it less `fee`,
 * the coordinator (`coordinator`, its account) the fee.
 */
export function settlementEntry (rec: JobRecord, r: NonNullable<JobRecord['result']>, price: bigint, fee: bigint, coordinator: string, now = Date.now()): LedgerEntry {
  return {
    kind: LedgerEntry.Kind.SETTLEMENT,
    timeMs: BigInt(now),
    postings: [
      { account: rec.owner, delta: -price },
      { account: r.worker, delta: price - fee },
      { account: coordinator, delta: fee }
    ].filter(p => p.delta !== 0n),
    settlement: {
      jobId: rec.id,
      owner: rec.owner,
      worker: r.worker,
      attempt: r.attempt,
      outcome: rec.state,
      price,
      fee,
      assignmentDigest: hexBytes(r.assignmentDigest ?? ''),
      resultDigest: hexBytes(r.digest),
      executor: rec.executor
    },
    memo: ''
  }
}

/** `policy` with an admin's value for a pricing, fee or issuance key; undefined for keys that are not ledger policy. */
export function policyWith (policy: Policy, key: string, value: unknown): Policy | undefined {
  const p: Policy = { ...policy, prices: new Map(policy.prices) }
  switch (key) {
    case 'feeBps': p.feeBps = value as number; break
    case 'welcomeGrant': p.welcomeGrant = BigInt(value as number); break
    case 'issuancePerWindow': p.issuancePerWindow = BigInt(value as number); break
    case 'issuanceWindowMs': p.issuanceWindowMs = value as number; break
    case 'demandStepBps': p.demandStepBps = value as number; break
    case 'demandCapBps': p.demandCapBps = value as number; break
    case 'feeRounding': p.feeRounding = value as FeeRounding; break
    // the whole table, as the admin set it (an executor left out falls back to the "*" price)
    case 'prices': p.prices = new Map(Object.entries(value as Record<string, number>).map(([k, v]) => [k, BigInt(v)])); break
    default: return undefined
  }
  return p
}

function hexBytes (hex: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}
