/** What a worker hands an executor for one attempt of a job. */
export interface ExecutionRequest {
  jobId: string
  /** bytes given to the program on stdin (wasm, process) or echoed back (noop) */
  input: Uint8Array
  /** argv after the program name: process executor runs argv[0] from the allowlist */
  args: string[]
  /** wasm executor: the WebAssembly module (WASI preview1) */
  module?: Uint8Array
  /** noop executor: wait this long before echoing */
  delayMs?: number
  /** hard wall-clock limit; the executor kills the run past it */
  timeoutMs: number
  /** stdout past this many bytes kills the run */
  maxOutputBytes: number
  /** wasm linear memory cap (and heap cap of the worker thread) */
  memoryLimitMb: number
  /** aborting it stops the run at once (job cancelled, worker stopping) */
  signal: AbortSignal
}

/** What came out of one run. A non-zero exit code is a result, not an error. */
export interface ExecutionOutcome {
  exitCode: number
  output: Uint8Array
  stderr: Uint8Array
  wallMs: number
  cpuMs: number
  maxRssKb: number
}

/**
 * A way to run a job. Throws a typed error (ExecutorTimeoutError, OutputLimitExceededError,
 * MemoryLimitExceededError, CommandNotAllowedError, ExecutionAbortedError, InvalidWasmModuleError)
 * when the run could not produce a result; the worker reports that as a failed attempt.
 */
export interface Executor {
  readonly name: string
  execute (request: ExecutionRequest): Promise<ExecutionOutcome>
}
