// The credit ledger: balances, prices, logs, checkpoints, proofs, replicas.
import { EdgecoderError } from './base.js'

export class LedgerInvariantError extends EdgecoderError { override name = 'LedgerInvariantError' }
export class InsufficientCreditsError extends EdgecoderError { override name = 'InsufficientCreditsError' }
export class PriceTooLowError extends EdgecoderError { override name = 'PriceTooLowError' }
export class UnknownLogError extends EdgecoderError { override name = 'UnknownLogError' }
export class CheckpointMismatchError extends EdgecoderError { override name = 'CheckpointMismatchError' }
/** our own replica no longer replays (disk fault, hand edit); not evidence against anyone */
export class ReplicaDamagedError extends EdgecoderError { override name = 'ReplicaDamagedError' }
/**
 * a coordinator restored from a backup appends nothing (no submit, no settlement) until its log
 * has caught up to the newest checkpoint it signed before (src/ledger/restore-guard.ts)
 */
export class LedgerAppendsHeldError extends EdgecoderError { override name = 'LedgerAppendsHeldError' }
/** an index or tree size outside what the log holds, or an impossible pair (old size > new size) */
export class LogRangeError extends EdgecoderError { override name = 'LogRangeError' }
/** stored entries and subtree hashes disagree, or a hash the stored size needs is missing */
export class LogCorruptError extends EdgecoderError { override name = 'LogCorruptError' }

/** a signed note that does not follow the C2SP signed-note grammar, or is too large */
export class MalformedNoteError extends EdgecoderError { override name = 'MalformedNoteError' }
/** a note none of whose signatures is by a key we were given */
export class UnknownNoteKeyError extends EdgecoderError { override name = 'UnknownNoteKeyError' }
/** a signature line that names a known key (name and key id) but does not verify with it */
export class InvalidNoteSignatureError extends EdgecoderError { override name = 'InvalidNoteSignatureError' }
/** a verifier key string that is not `<name>+<8 hex key id>+<base64(0x01 || Ed25519 key)>`, or a bad key name */
export class MalformedVerifierKeyError extends EdgecoderError { override name = 'MalformedVerifierKeyError' }
/** note text that is not a C2SP tlog checkpoint */
export class MalformedCheckpointError extends EdgecoderError { override name = 'MalformedCheckpointError' }
/** a proof that does not hold against the checkpoint it is checked with */
export class ProofMismatchError extends EdgecoderError { override name = 'ProofMismatchError' }
/** a welcome grant the log cannot justify: doubled, unbacked, or backed by the wrong approval */
export class GrantAuditError extends EdgecoderError { override name = 'GrantAuditError' }
/** `ledger verify`: a log does not match its signed checkpoint */
export class LedgerVerificationError extends EdgecoderError { override name = 'LedgerVerificationError' }
