// One error class per failure, matched by `name` (never by message text), as js-libp2p does.
// Every class sets `name` explicitly so it survives minification and crosses the RPC boundary:
// the RPC layer sends `name` and `message`, and the caller rebuilds the same class.

export abstract class EdgecoderError extends Error {
  /** a stable machine-readable code, equal to the class name */
  get code (): string { return this.name }
}

type ErrorClass = new (message?: string, options?: ErrorOptions) => EdgecoderError
const registry: Record<string, ErrorClass> = {}

/** Defines an error class with a stable name and registers it so RPC callers can rebuild it. */
export function defineError (name: string): ErrorClass {
  const cls = class extends EdgecoderError {
    constructor (message: string = name, options?: ErrorOptions) {
      super(message, options)
      this.name = name
    }
  }
  Object.defineProperty(cls, 'name', { value: name })
  registry[name] = cls
  return cls
}
const define = defineError

// Local input
export const InvalidConfigError = define('InvalidConfigError')
export const InvalidBootstrapFileError = define('InvalidBootstrapFileError')
export const InvalidArgumentError = define('InvalidArgumentError')
export const KeyFileError = define('KeyFileError')
export const DataDirError = define('DataDirError')
export const DaemonNotRunningError = define('DaemonNotRunningError')
export const DataDirLockedError = define('DataDirLockedError')
/** the Node.js running us is older than the package needs */
export const UnsupportedRuntimeError = define('UnsupportedRuntimeError')
/** a data dir with no identity key: `init` has not been run on it */
export const NotInitialisedError = define('NotInitialisedError')
/** a listen address (--listen, --http, or config.json) that another process holds */
export const AddressInUseError = define('AddressInUseError')
/** a listen address that could not be listened on for another reason */
export const ListenError = define('ListenError')

// Wire and signatures
export const MalformedMessageError = define('MalformedMessageError')
export const MessageTooLargeError = define('MessageTooLargeError')
export const InvalidSignatureError = define('InvalidSignatureError')
export const WrongDomainError = define('WrongDomainError')
export const WrongMeshError = define('WrongMeshError')
export const MessageExpiredError = define('MessageExpiredError')
export const ReplayedMessageError = define('ReplayedMessageError')
export const UnexpectedSignerError = define('UnexpectedSignerError')

// RPC
export const RpcTimeoutError = define('RpcTimeoutError')
export const RateLimitedError = define('RateLimitedError')
/** a session stream (src/rpc/session.ts) ended with the request still open: it may be retried */
export const SessionClosedError = define('SessionClosedError')
export const RemoteError = define('RemoteError')
export const NoCoordinatorError = define('NoCoordinatorError')

// Jobs
export const JobNotFoundError = define('JobNotFoundError')
export const InvalidJobSpecError = define('InvalidJobSpecError')
export const InvalidStateError = define('InvalidStateError')
export const NotAssigneeError = define('NotAssigneeError')
export const StaleAttemptError = define('StaleAttemptError')
export const NotSubmitterError = define('NotSubmitterError')
export const AssignmentRejectedError = define('AssignmentRejectedError')

// Executors
export const ExecutorNotFoundError = define('ExecutorNotFoundError')
export const ExecutorTimeoutError = define('ExecutorTimeoutError')
export const OutputLimitExceededError = define('OutputLimitExceededError')
export const MemoryLimitExceededError = define('MemoryLimitExceededError')
export const CommandNotAllowedError = define('CommandNotAllowedError')
export const ExecutionAbortedError = define('ExecutionAbortedError')
export const InvalidWasmModuleError = define('InvalidWasmModuleError')

/** Every error class, by name, so the RPC layer can rebuild a remote error as its own class. */
export const errorClasses: Readonly<Record<string, ErrorClass>> = registry

/** Rebuilds an error received by name; unknown names become RemoteError so nothing is lost. */
export function errorFromName (name: string, message: string): Error {
  const Cls = errorClasses[name]
  if (Cls != null) return new Cls(message)
  // a class this process has not loaded (the CLI loads little): keep the name, which is what callers
  // match on; a name that does not look like an error class name stays a RemoteError
  if (/^[A-Z][A-Za-z0-9]{0,62}Error$/.test(name)) return Object.assign(new RemoteError(message), { name })
  return new RemoteError(`${name}: ${message}`)
}

export function isError (err: unknown, name: string): boolean {
  return err instanceof Error && err.name === name
}
