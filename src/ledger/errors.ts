// Ledger failures, one class each (registered for the RPC layer like every other error).
import { defineError } from '../errors/index.js'

export const LedgerInvariantError = defineError('LedgerInvariantError')
export const InsufficientCreditsError = defineError('InsufficientCreditsError')
export const PriceTooLowError = defineError('PriceTooLowError')
export const UnknownLogError = defineError('UnknownLogError')
export const CheckpointMismatchError = defineError('CheckpointMismatchError')
/** our own replica no longer replays (disk fault, hand edit); not evidence against anyone */
export const ReplicaDamagedError = defineError('ReplicaDamagedError')
/**
 * a coordinator restored from a backup appends nothing (no submit, no settlement) until its log
 * has caught up to the newest checkpoint it signed before (src/ledger/restore-guard.ts)
 */
export const LedgerAppendsHeldError = defineError('LedgerAppendsHeldError')
