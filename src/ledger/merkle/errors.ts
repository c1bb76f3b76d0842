// Failures of the verifiable log and its signed notes, one class each, matched by `name`.
import { defineError } from '../../errors/index.js'

/** an index or tree size outside what the log holds, or an impossible pair (old size > new size) */
export const LogRangeError = defineError('LogRangeError')
/** stored entries and subtree hashes disagree, or a hash the stored size needs is missing */
export const LogCorruptError = defineError('LogCorruptError')

/** a signed note that does not follow the C2SP signed-note grammar, or is too large */
export const MalformedNoteError = defineError('MalformedNoteError')
/** a note none of whose signatures is by a key we were given */
export const UnknownNoteKeyError = defineError('UnknownNoteKeyError')
/** a signature line that names a known key (name and key id) but does not verify with it */
export const InvalidNoteSignatureError = defineError('InvalidNoteSignatureError')
/** a verifier key string that is not `<name>+<8 hex key id>+<base64(0x01 || Ed25519 key)>`, or a bad key name */
export const MalformedVerifierKeyError = defineError('MalformedVerifierKeyError')
/** note text that is not a C2SP tlog checkpoint */
export const MalformedCheckpointError = defineError('MalformedCheckpointError')
