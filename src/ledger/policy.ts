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
  /**
   * how a fee's fraction of a credit is rounded (a versioned rule, recorded in every POLICY entry):
   * 'floor' (rule 0, every log written before the rule was recorded): each fee rounded down on its
   * own, so fractions are lost; 'carry' (rule 1): the fraction is carried to the next settlement,
   * so the fees since the POLICY entry add up to feeBps of what was charged, rounded down once
   */
  feeRounding: FeeRounding
}

export type FeeRounding = 'floor' | 'carry'
/** the rule's number in PolicyValues.fee_rounding; a new rule gets a new number, never a changed one */
export const FEE_ROUNDING_RULES: readonly FeeRounding[] = ['floor', 'carry']

// Prices are large enough that the default fee is a whole credit at the base price (5% of 20 and
// of 100); the carry rule makes the treasury's share exact at demand-adjusted prices too.
export const DEFAULT_POLICY: Policy = {
  prices: new Map([['noop', 20n], ['wasm', 100n], ['process', 100n], ['*', 100n]]),
  feeBps: 500,
  demandStepBps: 100,
  demandCapBps: 20_000,
  issuanceWindowMs: 60_000,
  issuancePerWindow: 20_000n,
  welcomeGrant: 20_000n,
  feeRounding: 'carry'
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

/**
 * The coordinator's fee out of a price. `carried`: the fraction of a credit (in 1/10000ths) left
 * over from earlier settlements under this POLICY entry, which the 'carry' rule adds in; 'floor'
 * ignores it. Returns the fee and what is carried on. Coordinators and replicas call this with the
 * same book state, so every fee recomputes exactly under the rule of the entry it was written under.
 */
export function feeOf (p: Policy, price: bigint, carried = 0n): { fee: bigint, carry: bigint } {
  const due = price * BigInt(p.feeBps)
  if (p.feeRounding === 'floor') return { fee: due / 10_000n, carry: 0n }
  const total = carried + due
  return { fee: total / 10_000n, carry: total % 10_000n }
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
  const rule = FEE_ROUNDING_RULES.indexOf(p.feeRounding)
  if (rule < 0) throw new InvalidConfigError(`policy feeRounding must be one of ${FEE_ROUNDING_RULES.join(', ')}`)
  return {
    prices: [...p.prices].map(([k, v]) => `${k}=${v.toString()}`),
    feeBps: p.feeBps,
    demandStepBps: p.demandStepBps,
    demandCapBps: p.demandCapBps,
    issuanceWindowMs: BigInt(p.issuanceWindowMs),
    issuancePerWindow: p.issuancePerWindow,
    welcomeGrant: p.welcomeGrant,
    feeRounding: rule
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
  // absent in entries written before the rule was recorded: 0, the floor rule they were written under
  const feeRounding = FEE_ROUNDING_RULES[v.feeRounding ?? 0]
  if (feeRounding == null) throw new InvalidConfigError(`policy feeRounding ${v.feeRounding ?? 0} is not a rule this version knows (upgrade edgecoder-node)`)
  return {
    prices,
    feeBps: v.feeBps,
    demandStepBps: v.demandStepBps,
    demandCapBps: v.demandCapBps,
    issuanceWindowMs: Number(v.issuanceWindowMs),
    issuancePerWindow: v.issuancePerWindow,
    welcomeGrant: v.welcomeGrant,
    feeRounding
  }
}

/** The policy as JSON (amounts as decimal strings: credits may exceed 2^53). */
export interface PolicyJson {
  prices: Record<string, string>
  feeBps: number
  feeRounding: FeeRounding
  demandStepBps: number
  demandCapBps: number
  issuanceWindowMs: number
  issuancePerWindow: string
  welcomeGrant: string
}

export function policyToJson (p: Policy): PolicyJson {
  return {
    prices: Object.fromEntries([...p.prices].map(([k, v]) => [k, v.toString()])),
    feeBps: p.feeBps,
    feeRounding: p.feeRounding,
    demandStepBps: p.demandStepBps,
    demandCapBps: p.demandCapBps,
    issuanceWindowMs: p.issuanceWindowMs,
    issuancePerWindow: p.issuancePerWindow.toString(),
    welcomeGrant: p.welcomeGrant.toString()
  }
}
