// Typed errors of the operations surface (matched by name, like every error in src/errors).
import { defineError } from '../errors/index.js'

/** `nodes return` of a node this coordinator holds no operator state about */
export const UnknownNodeError = defineError('UnknownNodeError')
/** an operator action that only a coordinator can carry out (pause, staged resume) */
export const NotCoordinatorError = defineError('NotCoordinatorError')
/** a backup file that is truncated, altered or not a backup */
export const BackupCorruptError = defineError('BackupCorruptError')
/** restore into a data dir that already holds something */
export const RestoreTargetNotEmptyError = defineError('RestoreTargetNotEmptyError')
/** an encrypted backup without its passphrase, or with a wrong one */
export const BackupPassphraseError = defineError('BackupPassphraseError')
