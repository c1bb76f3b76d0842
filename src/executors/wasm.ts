import { Worker } from 'node:worker_threads'
import { closeSync, fstatSync, openSync, readSync, statSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Executor, ExecutionRequest, ExecutionOutcome } from './types.js'
import type { WasmThreadInput, WasmThreadResult } from './wasm-thread.js'
import { capModuleMemory, pagesForMb } from './wasm-memory.js'
import {
  ExecutionAbortedError, ExecutorTimeoutError, InvalidWasmModuleError, MemoryLimitExceededError,
  OutputLimitExceededError
} from '../errors/index.js'

/** Exit code reported for a trap: 128 + SIGABRT, what a native program that aborts gets. */
export const WASM_TRAP_EXIT_CODE = 134

/**
 * The Worker's V8 heap holds only the WASI glue and wasm tables (linear memory is capped in the
 * module itself), but it may not go below this: under a few MiB V8 cannot even deserialize its
 * startup snapshot and a fatal OOM then takes down the whole process, not just the thread.
 */
const MIN_THREAD_HEAP_MB = 32

export interface WasmExecutorOptions {
  /** how often the stdout/stderr files are measured against the cap (default 10 ms) */
  pollIntervalMs?: number
  /** where each run's stdin/stdout/stderr files live, in a fresh 0700 dir (default os.tmpdir()) */
  tempDir?: string
}

/** A stdio file the main thread owns; dev+ino say whether its fd number still means this file. */
interface StdioFile { path: string, fd: number, dev: number, ino: number }

/**
 * Runs a WASI preview1 command module in a worker thread, sandboxed by node:wasi: no preopened
 * directories, empty environment, argv ['job', ...args], stdin from the request input.
 *
 * Limits: linear memory is capped by rewriting the module (memory.grow fails past memoryLimitMb),
 * the thread's heap by resourceLimits; the thread is terminated at timeoutMs or on abort. stdout
 * past maxOutputBytes is an OutputLimitExceededError, stderr is truncated at maxOutputBytes. Both
 * are enforced inside the thread at each fd_write (see wasm-thread.ts); the main thread also
 * polls the files' sizes as a backstop and terminates the thread if either is ever too big.
 *
 * A trap (unreachable, out-of-bounds access, stack overflow...) is the guest program crashing, not
 * the executor failing: it is reported as exit code 134 with the trap text appended to stderr,
 * the way a native process that aborts is reported.
 *
 * cpuMs is the worker thread's CPU time (0 on Node < 23.9); maxRssKb is the final size of the
 * guest's linear memory, which never shrinks, so it is the guest's peak: the process RSS is
 * shared with the node and every other job, so it says nothing about this one.
 */
export class WasmExecutor implements Executor {
  readonly name = 'wasm'
  private readonly pollIntervalMs: number
  private readonly tempDir: string | undefined

  constructor (opts: WasmExecutorOptions = {}) {
    this.pollIntervalMs = opts.pollIntervalMs ?? 10
    this.tempDir = opts.tempDir
  }

  async execute (req: ExecutionRequest): Promise<ExecutionOutcome> {
    const t0 = performance.now()
    if (req.signal.aborted) throw new ExecutionAbortedError('run aborted before it started')
    if (req.module == null || req.module.byteLength === 0) throw new InvalidWasmModuleError('no wasm module given')
    const module = capModuleMemory(req.module, pagesForMb(req.memoryLimitMb))

    const dir = await mkdtemp(join(this.tempDir ?? tmpdir(), 'edgecoder-wasm-'))
    const files: StdioFile[] = []
    try {
      writeFileSync(join(dir, 'stdin'), req.input, { mode: 0o600 })
      const stdin = openStdio(join(dir, 'stdin'), 'r', files)
      const stdout = openStdio(join(dir, 'stdout'), 'w', files)
      const stderr = openStdio(join(dir, 'stderr'), 'w', files)

      const result = await this.runThread(req, t0, {
        module,
        args: ['job', ...req.args],
        stdinFd: stdin.fd,
        stdoutFd: stdout.fd,
        stderrFd: stderr.fd,
        maxOutputBytes: req.maxOutputBytes
      }, stdout.path, stderr.path)

      if (result.kind === 'invalid') throw new InvalidWasmModuleError(result.message)
      if (result.kind === 'memory') throw new MemoryLimitExceededError(result.message)
      if (result.kind === 'output-limit') throw new OutputLimitExceededError(result.message)

      // the poll may not have seen the last writes before the guest exited
      if (statSync(stdout.path).size > req.maxOutputBytes) throw outputTooLarge('stdout', req.maxOutputBytes)
      const output = readPrefix(stdout.path, req.maxOutputBytes)
      let errText = readPrefix(stderr.path, req.maxOutputBytes)
      let exitCode: number
      if (result.kind === 'trap') {
        exitCode = WASM_TRAP_EXIT_CODE
        const sep = errText.byteLength > 0 && errText[errText.byteLength - 1] !== 0x0a ? '\n' : ''
        errText = concat(errText, new TextEncoder().encode(`${sep}wasm trap: ${result.message}\n`))
      } else {
        exitCode = result.exitCode
      }
      return {
        exitCode,
        output,
        stderr: errText,
        wallMs: Math.round(performance.now() - t0),
        cpuMs: result.cpuMs,
        maxRssKb: result.memoryKb
      }
    } finally {
      for (const f of files) closeIfStillOurs(f)
      await rm(dir, { recursive: true, force: true })
    }
  }

  /** Resolves when the thread has reported and is gone; rejects with a typed error on a limit. */
  private async runThread (req: ExecutionRequest, t0: number, input: WasmThreadInput, stdoutPath: string, stderrPath: string): Promise<WasmThreadResult> {
    const stderrHardCap = stderrHardCapBytes(req.maxOutputBytes, req.memoryLimitMb)
    const worker = new Worker(threadUrl(), {
      workerData: input,
      env: {}, // the thread (and so the guest's host) sees none of the node's secrets
      stdout: false,
      stderr: false,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(MIN_THREAD_HEAP_MB, Math.ceil(req.memoryLimitMb)) }
    })

    return await new Promise<WasmThreadResult>((resolve, reject) => {
      let settled = false
      const finish = (err: Error | undefined, result?: WasmThreadResult): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        clearInterval(poll)
        req.signal.removeEventListener('abort', onAbort)
        // wait until the thread is really gone: only then may the main thread close its fds
        worker.terminate().finally(() => {
          if (err != null || result == null) reject(err ?? new Error('wasm thread ended without a result'))
          else resolve(result)
        }).catch(() => {})
      }

      const remaining = Math.max(0, req.timeoutMs - (performance.now() - t0))
      const timer = setTimeout(() => finish(new ExecutorTimeoutError(`wasm run exceeded the ${req.timeoutMs} ms time limit`)), remaining)
      const poll = setInterval(() => {
        try {
          if (statSync(stdoutPath).size > req.maxOutputBytes) finish(outputTooLarge('stdout', req.maxOutputBytes))
          else if (statSync(stderrPath).size > stderrHardCap) finish(outputTooLarge('stderr', stderrHardCap))
        } catch (err) {
          finish(err as Error)
        }
      }, this.pollIntervalMs)
      const onAbort = (): void => finish(new ExecutionAbortedError('run aborted'))
      req.signal.addEventListener('abort', onAbort, { once: true })

      worker.on('message', (m: WasmThreadResult) => finish(undefined, m))
      worker.on('error', (err: Error & { code?: string }) => {
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') finish(new MemoryLimitExceededError(`wasm thread ran out of heap: ${err.message}`, { cause: err }))
        else finish(new Error(`wasm thread failed: ${err.message}`, { cause: err }))
      })
      worker.on('exit', code => finish(new Error(`wasm thread exited with code ${code} without a result`)))
      // an abort while the temp files were being set up fired no event
      if (req.signal.aborted) onAbort()
    })
  }
}

/** The compiled thread next to this file; the .ts twin when running from source under tsx. */
function threadUrl (): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './wasm-thread.ts' : './wasm-thread.js', import.meta.url)
}

/**
 * The thread lets stderr pass maxOutputBytes by at most one fd_write, which cannot be larger than
 * the guest's memory; anything bigger means the in-thread guard was bypassed.
 */
function stderrHardCapBytes (maxOutputBytes: number, memoryLimitMb: number): number {
  return maxOutputBytes + Math.ceil(memoryLimitMb) * 1024 * 1024 + 64 * 1024
}

function outputTooLarge (stream: string, limit: number): Error {
  return new OutputLimitExceededError(`wasm ${stream} exceeded ${limit} bytes`)
}

function openStdio (path: string, flags: 'r' | 'w', files: StdioFile[]): StdioFile {
  const fd = openSync(path, flags, 0o600)
  const st = fstatSync(fd)
  const f = { path, fd, dev: st.dev, ino: st.ino }
  files.push(f)
  return f
}

/**
 * The guest can fd_close its stdio, which closes our host fd, and the number may since have been
 * reused by another open in this process: close it only if it still refers to our file.
 */
function closeIfStillOurs (f: StdioFile): void {
  try {
    const st = fstatSync(f.fd)
    if (st.dev === f.dev && st.ino === f.ino) closeSync(f.fd)
  } catch {
    // EBADF: the guest already closed it
  }
}

/** Reads at most `limit` bytes from the start of a file. */
function readPrefix (path: string, limit: number): Uint8Array {
  const size = Math.min(statSync(path).size, limit)
  const buf = new Uint8Array(size)
  const fd = openSync(path, 'r')
  try {
    let off = 0
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off)
      if (n === 0) break
      off += n
    }
    return buf.subarray(0, off)
  } finally {
    closeSync(fd)
  }
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a, 0)
  out.set(b, a.byteLength)
  return out
}
