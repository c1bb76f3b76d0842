// Operations: operator actions, backups and restores.
import { EdgecoderError } from './base.js'

/** `nodes return` of a node this coordinator holds no operator state about */
export class UnknownNodeError extends EdgecoderError { override name = 'UnknownNodeError' }
/** an operator action that only a coordinator can carry out (pause, staged resume) */
export class NotCoordinatorError extends EdgecoderError { override name = 'NotCoordinatorError' }
/** a backup file that is truncated, altered or not a backup */
export class BackupCorruptError extends EdgecoderError { override name = 'BackupCorruptError' }
/** restore into a data dir that already holds something */
export class RestoreTargetNotEmptyError extends EdgecoderError { override name = 'RestoreTargetNotEmptyError' }
/** an encrypted backup without its passphrase, or with a wrong one */
export class BackupPassphraseError extends EdgecoderError { override name = 'BackupPassphraseError' }
