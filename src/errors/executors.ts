// Executors: what can go wrong running a job on a worker.
import { EdgecoderError } from './base.js'

export class ExecutorNotFoundError extends EdgecoderError { override name = 'ExecutorNotFoundError' }
export class ExecutorTimeoutError extends EdgecoderError { override name = 'ExecutorTimeoutError' }
export class OutputLimitExceededError extends EdgecoderError { override name = 'OutputLimitExceededError' }
export class MemoryLimitExceededError extends EdgecoderError { override name = 'MemoryLimitExceededError' }
export class CommandNotAllowedError extends EdgecoderError { override name = 'CommandNotAllowedError' }
export class ExecutionAbortedError extends EdgecoderError { override name = 'ExecutionAbortedError' }
export class InvalidWasmModuleError extends EdgecoderError { override name = 'InvalidWasmModuleError' }
