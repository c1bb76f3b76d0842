// The admission checks (may a peer be given work, may it submit jobs) and what other services ask of admission.
import { NotAdmittedError } from '../errors/index.js'
import type { AdmissionMode, BlacklistEntry, NodeRecord } from './admission-records.js'

/** What the job and ledger services ask of admission (AdmissionState implements it). */
export interface AdmissionCheck {
  isDenied: (peer: string) => boolean
  /** throws NotAdmittedError unless the peer may be given work */
  checkAssignable: (peer: string) => void
  /** throws NotAdmittedError unless the account may submit jobs */
  checkSubmitter?: (peer: string) => void
  policy: (key: string) => unknown
}

/** A blacklisted peer: no connection, no gossip, no work. */
export function listed (b: BlacklistEntry | undefined, now: number): boolean {
  return b != null && b.listed && (b.until === 0 || b.until > now)
}

/** Throws NotAdmittedError unless the peer may be given work here. */
export function checkAssignable (denied: boolean, n: NodeRecord | undefined, mode: AdmissionMode): void {
  if (denied) throw new NotAdmittedError('this peer is blacklisted')
  // an admin's rejection holds in open mode too
  if (mode === 'open') {
    if (n?.status === 'rejected') throw new NotAdmittedError(`enrollment is rejected${n.reason !== '' ? ` (${n.reason})` : ''}`)
    return
  }
  if (n == null) throw new NotAdmittedError('not enrolled: start the worker with a registration token (--token or AGENT_REGISTRATION_TOKEN)')
  if (n.status !== 'active') throw new NotAdmittedError(`enrollment is ${n.status}${n.reason !== '' ? ` (${n.reason})` : ''}`)
}

/**
 * Throws NotAdmittedError unless `peer` may submit jobs here: the coordinator's own account (`self`),
 * or an account that is not blacklisted and (token mode) enrolled and active. A throwaway key is
 * refused before it is priced, so it is never granted anything.
 */
export function checkSubmitter (denied: boolean, peer: string, self: string, n: NodeRecord | undefined, mode: AdmissionMode): void {
  if (denied) throw new NotAdmittedError('the submitting account is blacklisted')
  if (peer === self) return
  if (n?.status === 'rejected') throw new NotAdmittedError(`the submitting account's enrollment is rejected${n.reason !== '' ? ` (${n.reason})` : ''}`)
  if (mode === 'open') return
  if (n == null) throw new NotAdmittedError('not enrolled: start the client with a registration token (--token or AGENT_REGISTRATION_TOKEN) and have an admin approve it')
  if (n.status !== 'active') throw new NotAdmittedError(`the submitting account's enrollment is ${n.status}: an admin must approve it (nodes approve ${peer})`)
}
