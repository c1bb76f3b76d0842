// What an admin action may say: the policy keys and the check each value must pass, and the shape
// each kind of action must have. Checked before anything is signed, applied or written.
import { peerIdFromString } from '@libp2p/peer-id'
import { AdminAction } from '../wire/pb/admission.js'
import { InvalidArgumentError } from '../errors/index.js'
import { parseAction } from '../ops/operator-action.js'

const EXECUTOR_NAME = /^[a-z][a-z0-9-]{0,31}$/

/** Policy keys an admin can set, with the check each value must pass. */
export const POLICY_KEYS: Record<string, (v: unknown) => boolean> = {
  allowedExecutors: v => Array.isArray(v) && v.length <= 64 && v.every(x => typeof x === 'string' && EXECUTOR_NAME.test(x)),
  // the code sources jobs may run: SHA-256 (hex) of each allowed wasm module, and the process commands
  allowedModules: v => Array.isArray(v) && v.length <= 1024 && v.every(x => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x)),
  allowedCommands: v => Array.isArray(v) && v.length <= 256 && v.every(x => typeof x === 'string' && x !== '' && x.length <= 256),
  feeBps: v => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 10_000,
  welcomeGrant: v => Number.isSafeInteger(v) && (v as number) >= 0,
  issuancePerWindow: v => Number.isSafeInteger(v) && (v as number) >= 0,
  issuanceWindowMs: v => Number.isSafeInteger(v) && (v as number) >= 1000,
  demandStepBps: v => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 100_000,
  demandCapBps: v => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 1_000_000,
  // the fee rounding rule (docs/ledger.md): 'carry' for exact fees, 'floor' as logs before it had
  feeRounding: v => v === 'floor' || v === 'carry',
  prices: v => v != null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length <= 64 && Object.entries(v).every(([k, p]) => (k === '*' || EXECUTOR_NAME.test(k)) && Number.isSafeInteger(p) && (p as number) >= 0)
}

/** Refuses actions whose fields do not fit their kind, before anything is written. */
export function validateAction (a: AdminAction): void {
  switch (a.kind) {
    case AdminAction.Kind.APPROVE:
    case AdminAction.Kind.REJECT:
    case AdminAction.Kind.BLACKLIST_ADD:
    case AdminAction.Kind.BLACKLIST_REMOVE:
      try { peerIdFromString(a.target) } catch { throw new InvalidArgumentError(`"${a.target.slice(0, 80)}" is not a peer id`) }
      if (a.reason.length > 500) throw new InvalidArgumentError('reason is longer than 500 characters')
      return
    case AdminAction.Kind.OPERATOR: {
      let body: unknown
      try { body = JSON.parse(a.value) } catch { throw new InvalidArgumentError('operator action: value is not JSON') }
      const op = parseAction(body)
      if ('peer' in op ? op.peer !== a.target : a.target !== '') throw new InvalidArgumentError('operator action: target does not match the action')
      return
    }
    case AdminAction.Kind.POLICY_SET: {
      const check = POLICY_KEYS[a.target]
      if (check == null) throw new InvalidArgumentError(`unknown policy key "${a.target.slice(0, 80)}" (one of ${Object.keys(POLICY_KEYS).join(', ')})`)
      let value: unknown
      try { value = JSON.parse(a.value) } catch { throw new InvalidArgumentError(`policy ${a.target}: value is not JSON`) }
      if (!check(value)) throw new InvalidArgumentError(`policy ${a.target}: value ${a.value.slice(0, 80)} is out of range`)
      return
    }
  }
  throw new InvalidArgumentError(`unknown admin action kind ${String(a.kind)}`)
}
