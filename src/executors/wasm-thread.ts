// Runs inside a worker_threads Worker started by WasmExecutor: one WASI preview1 module, once.
// The thread can be terminated at any point (time limit, output cap, abort), so it owns nothing
// that needs cleaning up: the stdio file descriptors are opened and closed by the main thread.
import { parentPort, workerData } from 'node:worker_threads'
import { WASI } from 'node:wasi'
import { wasmApi, type WasmInstance } from './wasm-api.js'

export interface WasmThreadInput {
  /** the module, memory already capped */
  module: Uint8Array
  /** argv as the guest sees it, program name first */
  args: string[]
  stdinFd: number
  stdoutFd: number
  stderrFd: number
}

export type WasmThreadResult =
  | { kind: 'exit', exitCode: number, cpuMs: number, memoryKb: number }
  | { kind: 'trap', message: string, cpuMs: number, memoryKb: number }
  | { kind: 'invalid', message: string }
  | { kind: 'memory', message: string }

function cpuNow (): NodeJS.CpuUsage | undefined {
  // per-thread CPU time exists from Node 23.9; process-wide usage would count other jobs too
  return typeof process.threadCpuUsage === 'function' ? process.threadCpuUsage() : undefined
}

function cpuMsSince (start: NodeJS.CpuUsage | undefined): number {
  if (start == null) return 0
  const d = process.threadCpuUsage(start)
  return Math.round((d.user + d.system) / 1000)
}

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

  let instance: WasmInstance
  try {
    const mod = new wasmApi.Module(input.module)
    instance = new wasmApi.Instance(mod, wasi.getImportObject() as Record<string, Record<string, unknown>>)
  } catch (err) {
    if (err instanceof wasmApi.CompileError || err instanceof wasmApi.LinkError) return { kind: 'invalid', message: err.message }
    // allocating the initial memory failed
    if (err instanceof RangeError) return { kind: 'memory', message: err.message }
    // a start function trapped during instantiation
    return { kind: 'trap', message: errorText(err), cpuMs: cpuMsSince(cpu0), memoryKb: 0 }
  }

  const { memory, _start: start, _initialize: initialize } = instance.exports
  if (!(memory instanceof wasmApi.Memory)) return { kind: 'invalid', message: 'the module does not export its memory as "memory"' }
  if (typeof start !== 'function') return { kind: 'invalid', message: 'the module does not export a "_start" function (not a WASI command)' }
  if (initialize !== undefined) return { kind: 'invalid', message: 'the module exports "_initialize" (a WASI reactor, not a command)' }

  try {
    const exitCode = wasi.start(instance)
    return { kind: 'exit', exitCode, cpuMs: cpuMsSince(cpu0), memoryKb: memory.buffer.byteLength / 1024 }
  } catch (err) {
    // RuntimeError (unreachable, out-of-bounds, division by zero...) or RangeError (stack overflow)
    return { kind: 'trap', message: errorText(err), cpuMs: cpuMsSince(cpu0), memoryKb: memory.buffer.byteLength / 1024 }
  }
}

function errorText (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

if (parentPort == null) throw new Error('wasm-thread must run in a worker thread')
parentPort.postMessage(run(workerData as WasmThreadInput))
