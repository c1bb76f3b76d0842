// An operator action as it arrives from outside (the control API's JSON body, or the value of a
// signed OPERATOR admin action), checked into the typed OperatorAction that OperatorState applies.
// Pure: admission validates signed actions with it and the node applies them with it.
import { InvalidArgumentError } from '../errors/index.js'
import type { OperatorAction } from './operator-state.js'

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null
}

/** Validates an operator action from JSON. */
export function parseAction (body: unknown): OperatorAction {
  if (!isRecord(body)) throw new InvalidArgumentError('an action is a JSON object with "kind"')
  const o = body
  const optStr = (k: string): string | undefined => {
    const v = o[k]
    if (v == null) return undefined
    if (typeof v !== 'string') throw new InvalidArgumentError(`"${k}" must be a string`)
    return v
  }
  const peer = (): string => {
    const p = optStr('peer')
    if (p == null || p === '') throw new InvalidArgumentError(`${String(o.kind)} needs "peer"`)
    return p
  }
  const optNum = (v: unknown, k: string): number | undefined => {
    if (v == null) return undefined
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`"${k}" must be a number`)
    return v
  }
  switch (o.kind) {
    case 'pause': return { kind: 'pause', reason: optStr('reason') }
    case 'resume': {
      if (o.staged == null || o.staged === false) return { kind: 'resume' }
      const s = o.staged === true ? {} : o.staged
      if (!isRecord(s)) throw new InvalidArgumentError('"staged" must be true or an object')
      return { kind: 'resume', staged: { initialPerSec: optNum(s.initialPerSec, 'staged.initialPerSec'), stepMs: optNum(s.stepMs, 'staged.stepMs'), steps: optNum(s.steps, 'staged.steps') } }
    }
    case 'drain': return { kind: 'drain', peer: peer(), reason: optStr('reason') }
    case 'isolate': return { kind: 'isolate', peer: peer(), forMs: optNum(o.forMs, 'forMs'), reason: optStr('reason') }
    case 'return': return { kind: 'return', peer: peer() }
    default: throw new InvalidArgumentError('"kind" must be pause, resume, drain, isolate or return')
  }
}
