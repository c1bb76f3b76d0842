// Every error class of the runtime, from one place (also the package's `edgecoder-node/errors`).
import { EdgecoderError } from './base.js'
import * as config from './config.js'
import * as wire from './wire.js'
import * as rpc from './rpc.js'
import * as jobs from './jobs.js'
import * as executors from './executors.js'
import * as admission from './admission.js'
import * as ledger from './ledger.js'
import * as ops from './ops.js'
import * as api from './api.js'

export { EdgecoderError } from './base.js'
export * from './config.js'
export * from './wire.js'
export * from './rpc.js'
export * from './jobs.js'
export * from './executors.js'
export * from './admission.js'
export * from './ledger.js'
export * from './ops.js'
export * from './api.js'

export type EdgecoderErrorClass = new (message?: string, options?: ErrorOptions) => EdgecoderError

function isErrorClass (v: unknown): v is EdgecoderErrorClass {
  return typeof v === 'function' && v.prototype instanceof EdgecoderError
}

/** Every error class by name, so the RPC layer can rebuild a remote error as its own class. */
export const errorClasses: Readonly<Record<string, EdgecoderErrorClass>> = Object.fromEntries(
  [config, wire, rpc, jobs, executors, admission, ledger, ops, api]
    .flatMap(m => Object.values(m))
    .filter(isErrorClass)
    .map(c => [c.name, c])
)

/** Rebuilds an error received by name; unknown names become RemoteError so nothing is lost. */
export function errorFromName (name: string, message: string): Error {
  const Cls = Object.hasOwn(errorClasses, name) ? errorClasses[name] : undefined
  if (Cls != null) return new Cls(message)
  // a class of a newer peer: keep the name, which is what callers match on; a name that does not
  // look like an error class name stays a RemoteError
  if (/^[A-Z][A-Za-z0-9]{0,62}Error$/.test(name)) return Object.assign(new rpc.RemoteError(message), { name })
  return new rpc.RemoteError(`${name}: ${message}`)
}

/** True when `err` is an error of that name (ours, or one rebuilt from a remote peer's). */
export function isError (err: unknown, name: string): boolean {
  return err instanceof Error && err.name === name
}
