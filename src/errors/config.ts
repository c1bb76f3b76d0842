// Local input: configuration, data dirs, key files, listen addresses, the runtime.
import { EdgecoderError } from './base.js'

export class InvalidConfigError extends EdgecoderError { override name = 'InvalidConfigError' }
export class InvalidBootstrapFileError extends EdgecoderError { override name = 'InvalidBootstrapFileError' }
export class InvalidArgumentError extends EdgecoderError { override name = 'InvalidArgumentError' }
export class KeyFileError extends EdgecoderError { override name = 'KeyFileError' }
export class DataDirError extends EdgecoderError { override name = 'DataDirError' }
export class DaemonNotRunningError extends EdgecoderError { override name = 'DaemonNotRunningError' }
export class DataDirLockedError extends EdgecoderError { override name = 'DataDirLockedError' }
/** the Node.js running us is older than the package needs */
export class UnsupportedRuntimeError extends EdgecoderError { override name = 'UnsupportedRuntimeError' }
/** a data dir with no identity key: `init` has not been run on it */
export class NotInitialisedError extends EdgecoderError { override name = 'NotInitialisedError' }
/** a listen address (--listen, --http, or config.json) that another process holds */
export class AddressInUseError extends EdgecoderError { override name = 'AddressInUseError' }
/** a listen address that could not be listened on for another reason */
export class ListenError extends EdgecoderError { override name = 'ListenError' }
