// Runs inside a worker_threads Worker started by WasmExecutor: one WASI preview1 module, once.
// The thread can be terminated at any point (time limit, output cap, abort), so it owns nothing
// that needs cleaning up: the stdio file descriptors are opened and closed by the main thread.
import { parentPort, workerData } from 'node:worker_threads'
import { wasmApi, type WasmInstance, type WasmMemory } from './wasm-api.js'

export interface WasmThreadInput {
  /** the module, memory already capped */
  module: Uint8Array
  /** argv as the guest sees it, program name first */
  args: string[]
  stdinFd: number
  stdoutFd: number
  stderrFd: number
  /** stdout past this stops the guest; stderr past it is dropped */
  maxOutputBytes: number
}

export type WasmThreadResult =
  | { kind: 'exit', exitCode: number, cpuMs: number, memoryKb: number }
  | { kind: 'trap', message: string, cpuMs: number, memoryKb: number }
  | { kind: 'output-limit', message: string }
  | { kind: 'invalid', message: string }
  | { kind: 'memory', message: string }

type ImportObject = Record<string, Record<string, unknown>>
type WasiCall = (...args: number[]) => number

// WASI preview1 errno values
const ERRNO_SUCCESS = 0
const ERRNO_INVAL = 28
const ERRNO_NOTSUP = 58
const ERRNO_SPIPE = 70

const STDOUT = 1
const STDERR = 2

/** Thrown from inside fd_write to unwind the guest when stdout would pass the cap. */
class OutputLimitStop extends Error {}

function cpuNow (): NodeJS.CpuUsage | undefined {
  // per-thread CPU time exists from Node 23.9; process-wide usage would count other jobs too
  return typeof process.threadCpuUsage === 'function' ? process.threadCpuUsage() : undefined
}

function cpuMsSince (start: NodeJS.CpuUsage | undefined): number {
  if (start == null) return 0
  const d = process.threadCpuUsage(start)
  return Math.round((d.user + d.system) / 1000)
}

/**
 * Wraps the WASI imports so guest stdout/stderr behave like capped pipes:
 * - fd_write on stdout that would pass maxOutputBytes stops the guest before writing, so the file
 *   never grows past the cap. Measured: a Worker busy in native fd_write calls can take ~0.6 s to
 *   terminate, in which time a flood writes hundreds of MB, so the main thread's size poll alone
 *   is too late (it stays as a backstop).
 * - fd_write on stderr past maxOutputBytes reports success and drops the bytes (silent truncation).
 * - seek/pwrite/allocate/truncate on stdio fail as on a pipe (pwrite at a huge offset or
 *   fallocate would bypass the byte count), and fd_renumber is refused so fds 1 and 2 always
 *   mean stdout and stderr (with no preopens a guest has no other file to renumber anyway).
 */
function guardStdio (wasiImports: Record<string, unknown>, memory: () => WasmMemory | undefined, maxOutputBytes: number): Record<string, unknown> {
  const call = (name: string): WasiCall => {
    const f = wasiImports[name]
    if (typeof f !== 'function') throw new Error(`node:wasi has no ${name}`)
    return f as WasiCall
  }
  const fdWrite = call('fd_write')
  const written = { [STDOUT]: 0, [STDERR]: 0 }
  const isStdio = (fd: number): fd is typeof STDOUT | typeof STDERR => fd === STDOUT || fd === STDERR
  const pipeLike = (name: string, errno: number): WasiCall => {
    const orig = call(name)
    return (fd, ...rest) => isStdio(fd) ? errno : orig(fd, ...rest)
  }

  return {
    ...wasiImports,
    fd_write: (fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number => {
      const mem = memory()
      if (!isStdio(fd) || mem == null) return fdWrite(fd, iovs, iovsLen, nwrittenPtr)
      const buf = mem.buffer
      const iovsAt = iovs >>> 0
      const count = iovsLen >>> 0
      // a bad pointer is the real fd_write's business: it answers EFAULT
      if (iovsAt + count * 8 > buf.byteLength || (nwrittenPtr >>> 0) + 4 > buf.byteLength) return fdWrite(fd, iovs, iovsLen, nwrittenPtr)
      const view = new DataView(buf)
      let requested = 0
      for (let i = 0; i < count; i++) requested += view.getUint32(iovsAt + i * 8 + 4, true)
      if (fd === STDOUT && written[STDOUT] + requested > maxOutputBytes) {
        throw new OutputLimitStop(`wasm stdout exceeded ${maxOutputBytes} bytes`)
      }
      if (fd === STDERR && written[STDERR] >= maxOutputBytes) {
        view.setUint32(nwrittenPtr >>> 0, requested, true)
        return ERRNO_SUCCESS
      }
      const errno = fdWrite(fd, iovs, iovsLen, nwrittenPtr)
      if (errno === ERRNO_SUCCESS) written[fd] += new DataView(buf).getUint32(nwrittenPtr >>> 0, true)
      return errno
    },
    fd_pwrite: pipeLike('fd_pwrite', ERRNO_SPIPE),
    fd_seek: pipeLike('fd_seek', ERRNO_SPIPE),
    fd_tell: pipeLike('fd_tell', ERRNO_SPIPE),
    fd_allocate: pipeLike('fd_allocate', ERRNO_SPIPE),
    fd_filestat_set_size: pipeLike('fd_filestat_set_size', ERRNO_INVAL),
    fd_renumber: (): number => ERRNO_NOTSUP
  }
}

// Loading node:wasi emits an ExperimentalWarning that would print to the node's stderr on every
// run, so this thread drops its warning printer first and imports node:wasi only then.
// (execArgv ['--no-warnings'] would replace the inherited execArgv, e.g. tsx's loader.)
process.removeAllListeners('warning')
const { WASI } = await import('node:wasi')

function run (input: WasmThreadInput): WasmThreadResult {
  const cpu0 = cpuNow()
  const wasi = new WASI({
    version: 'preview1',
    args: input.args,
    env: {},
    preopens: {},
    stdin: input.stdinFd,
    stdout: input.stdoutFd,
    stderr: input.stderrFd,
    returnOnExit: true
  })

  let memory: WasmMemory | undefined
  const imports = wasi.getImportObject() as ImportObject
  const guarded: ImportObject = {
    ...imports,
    wasi_snapshot_preview1: guardStdio(imports.wasi_snapshot_preview1, () => memory, input.maxOutputBytes)
  }

  let instance: WasmInstance
  try {
    instance = new wasmApi.Instance(new wasmApi.Module(input.module), guarded)
  } catch (err) {
    if (err instanceof wasmApi.CompileError || err instanceof wasmApi.LinkError) return { kind: 'invalid', message: err.message }
    // allocating the initial memory failed
    if (err instanceof RangeError) return { kind: 'memory', message: err.message }
    // a start function trapped during instantiation
    return { kind: 'trap', message: errorText(err), cpuMs: cpuMsSince(cpu0), memoryKb: 0 }
  }

  const { memory: exported, _start: start, _initialize: initialize } = instance.exports
  if (!(exported instanceof wasmApi.Memory)) return { kind: 'invalid', message: 'the module does not export its memory as "memory"' }
  if (typeof start !== 'function') return { kind: 'invalid', message: 'the module does not export a "_start" function (not a WASI command)' }
  if (initialize !== undefined) return { kind: 'invalid', message: 'the module exports "_initialize" (a WASI reactor, not a command)' }
  memory = exported

  try {
    const exitCode = wasi.start(instance)
    return { kind: 'exit', exitCode, cpuMs: cpuMsSince(cpu0), memoryKb: exported.buffer.byteLength / 1024 }
  } catch (err) {
    if (err instanceof OutputLimitStop) return { kind: 'output-limit', message: err.message }
    // RuntimeError (unreachable, out-of-bounds, division by zero...) or RangeError (stack overflow)
    return { kind: 'trap', message: errorText(err), cpuMs: cpuMsSince(cpu0), memoryKb: exported.buffer.byteLength / 1024 }
  }
}

function errorText (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

if (parentPort == null) throw new Error('wasm-thread must run in a worker thread')
parentPort.postMessage(run(workerData as WasmThreadInput))
