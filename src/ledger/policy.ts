// The economy: prices per executor class with a demand multiplier, the coordinator's fee, issuance
// windows and grants. Every value comes from a POLICY entry in the log, so anyone replaying the log
// can recompute every charge.
import type { PolicyValues } from '../wire/pb/ledger.js'
import { InvalidConfigError } from '../errors/index.js'

export interface Policy {
  /** base price per job, by executor; `*` is the price of any executor not listed */
  prices: Map<string, bigint>
  feeBps: number
  /** extra price per queued job per active worker, in bps of the base price */
  demandStepBps: number
  /** the most the demand surcharge may add, in bps of the base price */
  demandCapBps: number
  issuanceWindowMs: number
  issuancePerWindow: bigint
  /** credits minted to an account the first time it submits (0: none) */
  welcomeGrant: bigint
}

export const DEFAULT_POLICY: Policy = {
  prices: new Map([['noop', 1n], ['wasm', 5n], ['process', 5n], ['*', 5n]]),
  feeBps: 500,
  demandStepBps: 100,
  demandCapBps: 20_000,
  issuanceWindowMs: 60_000,
  issuancePerWindow: 1_000n,
  welcomeGrant: 1_000n
}

export function basePrice (p: Policy, executor: string): bigint {
  return p.prices.get(executor) ?? p.prices.get('*') ?? 0n
}

/** The price of a job now: base plus a demand surcharge that grows with queued jobs per active worker. */
export function quote (p: Policy, executor: string, queued: number, activeWorkers: number): bigint {
  const base = basePrice(p, executor)
  const pressure = Math.floor(queued / Math.max(1, activeWorkers))
  const surchargeBps = BigInt(Math.min(p.demandCapBps, p.demandStepBps * pressure))
  return base + (base * surchargeBps) / 10_000n
}

/** The coordinator's fee out of a price (rounded down: the worker never loses a fraction). */
export function feeOf (p: Policy, price: bigint): bigint {
  return (price * BigInt(p.feeBps)) / 10_000n
}

/**
 * Splits `amount` among contributors in proportion to their weights; the remainder of the integer
 * division goes to the largest contributors first (ties by account name), so the split is exact and
 * anyone recomputing it gets the same postings.
 */
export function splitByContribution (amount: bigint, weights: Map<string, bigint>): Map<string, bigint> {
  const total = [...weights.values()].reduce((a, b) => a + b, 0n)
  const out = new Map<string, bigint>()
  if (total <= 0n || amount <= 0n) return out
  let given = 0n
  for (const [acct, w] of weights) {
    const share = (amount * w) / total
    out.set(acct, share)
    given += share
  }
  const order = [...weights.entries()].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : a[0] < b[0] ? -1 : 1))
  for (let i = 0; given < amount; i = (i + 1) % order.length) {
    const acct = order[i][0]
    out.set(acct, (out.get(acct) ?? 0n) + 1n)
    given++
  }
  for (const [k, v] of out) if (v === 0n) out.delete(k)
  return out
}

export function policyToPb (p: Policy): PolicyValues {
  return {
    prices: [...p.prices].map(([k, v]) => `${k}=${v.toString()}`),
    feeBps: p.feeBps,
    demandStepBps: p.demandStepBps,
    demandCapBps: p.demandCapBps,
    issuanceWindowMs: BigInt(p.issuanceWindowMs),
    issuancePerWindow: p.issuancePerWindow,
    welcomeGrant: p.welcomeGrant
  }
}

export function policyFromPb (v: PolicyValues): Policy {
  const prices = new Map<string, bigint>()
  for (const pair of v.prices) {
    const m = /^([a-z*][a-z0-9_-]{0,31}|\*)=(\d{1,19})$/.exec(pair)
    if (m == null) throw new InvalidConfigError(`policy price "${pair}" must be name=integer`)
    prices.set(m[1], BigInt(m[2]))
  }
  if (v.feeBps > 10_000) throw new InvalidConfigError('policy feeBps must be at most 10000')
  return {
    prices,
    feeBps: v.feeBps,
    demandStepBps: v.demandStepBps,
    demandCapBps: v.demandCapBps,
    issuanceWindowMs: Number(v.issuanceWindowMs),
    issuancePerWindow: v.issuancePerWindow,
    welcomeGrant: v.welcomeGrant
  }
}
