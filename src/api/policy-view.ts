// `policy show`: the policy in force on this node. The admin's allow-lists come from the signed
// POLICY_SET actions applied here; prices, fee, demand, issuance and the welcome grant come from the
// POLICY entry in force in each ledger this node holds (its own log, or the verified replicas).
import type { EdgecoderNode } from '../node/create-node.js'
import { policyToJson, type PolicyJson } from '../ledger/policy.js'

export interface LedgerPolicyJson extends PolicyJson {
  /** the coordinator whose log this is */
  log: string
  own: boolean
  /** index of the POLICY entry in force (entry 0: the genesis policy) */
  since: number
  /** entries of the log this is read from (a replica: its verified size) */
  size: number
}

export interface PolicyShowJson {
  adminKeys: string[]
  /** values set by signed admin actions (POLICY_SET), by key: only what an admin set */
  policy: Record<string, unknown>
  /** null: any */
  allowedExecutors: string[] | null
  allowedModules: string[] | null
  allowedCommands: string[] | null
  ledgers: LedgerPolicyJson[]
}

const listOrNull = (v: unknown): string[] | null => Array.isArray(v) ? v.map(String) : null

export function policyShow (node: EdgecoderNode): PolicyShowJson {
  const state = node.admission.state
  const ledgers: LedgerPolicyJson[] = []
  if (node.ledger != null) {
    const b = node.ledger.book
    ledgers.push({ log: node.peerId.toString(), own: true, since: b.policyIndex, size: b.size, ...policyToJson(b.policy) })
  }
  for (const held of node.replica?.list() ?? []) {
    // before its first verified checkpoint a replica has no policy of that log, only defaults
    if (held.verifiedSize === 0) continue
    const b = node.replica?.state(held.log).book
    if (b != null) ledgers.push({ log: held.log, own: false, since: b.policyIndex, size: held.verifiedSize, ...policyToJson(b.policy) })
  }
  return {
    adminKeys: state.adminKeys,
    policy: state.policies(),
    allowedExecutors: listOrNull(state.policy('allowedExecutors')),
    allowedModules: listOrNull(state.policy('allowedModules')),
    allowedCommands: listOrNull(state.policy('allowedCommands')),
    ledgers
  }
}

const bpsText = (bps: number): string => `${bps} bps (${(bps / 100).toString()}%)`
const msText = (ms: number): string => ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`

/** The text `policy show` prints. */
export function policyShowText (p: PolicyShowJson): string {
  const list = (v: string[] | null, what: string): string => v == null ? 'any' : v.length === 0 ? `none (no ${what} may run)` : v.join(', ')
  const lines = [
    `admin keys:        ${p.adminKeys.join(', ') || '(none)'}`,
    `allowed executors: ${list(p.allowedExecutors, 'executor')}`,
    `allowed modules:   ${p.allowedModules == null ? 'any' : `${p.allowedModules.length} wasm module digest(s)${p.allowedModules.length > 0 ? `: ${p.allowedModules.map(d => d.slice(0, 16) + '…').join(', ')}` : ''}`}`,
    `allowed commands:  ${list(p.allowedCommands, 'command')}`
  ]
  if (p.ledgers.length === 0) lines.push('ledger policy:     (no ledger held yet: a worker or client reads it from a coordinator\'s log after its first verified checkpoint)')
  for (const l of p.ledgers) {
    const others = Object.entries(l.prices).filter(([k]) => k !== '*').map(([k, v]) => `${k} ${v}`)
    const fallback = l.prices['*'] != null ? [`any other ${l.prices['*']}`] : []
    lines.push(
      `ledger policy of ${l.log} (${l.own ? 'own log' : `replica, verified to entry ${l.size - 1}`}), in force since entry ${l.since}:`,
      `  prices:          ${[...others, ...fallback].join(', ') || '(none)'} credits per job`,
      `  fee:             ${bpsText(l.feeBps)} to the coordinator, ${l.feeRounding === 'carry' ? 'carry rounding (the fractions carry over: the fees add up to this share of what is charged)' : 'floor rounding (each fee rounded down on its own)'}`,
      `  demand:          +${bpsText(l.demandStepBps)} of the base price per queued job per active worker, at most +${bpsText(l.demandCapBps)}`,
      `  issuance:        ${l.issuancePerWindow} credits every ${msText(l.issuanceWindowMs)}, split among workers by what they earned from others`,
      `  welcome grant:   ${l.welcomeGrant === '0' ? 'none' : `${l.welcomeGrant} credits, once per approved account`}`
    )
  }
  return lines.join('\n')
}
