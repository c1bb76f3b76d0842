import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { constants, tmpdir } from 'node:os'
import type { Executor, ExecutionRequest, ExecutionOutcome } from './types.js'
import { CommandNotAllowedError, ExecutionAbortedError, ExecutorTimeoutError, OutputLimitExceededError } from '../errors/index.js'

export interface ProcessExecutorOptions {
  /** exact command strings a job may run as args[0]: names looked up on PATH, or absolute paths */
  allowlist: string[]
}

/** Exit codes a shell gives when the command cannot be run: not found / not executable. */
const EXIT_NOT_FOUND = 127
const EXIT_NOT_EXECUTABLE = 126

/** How often /proc is sampled for the child's CPU time and peak RSS. */
const SAMPLE_INTERVAL_MS = 50
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_SEC = 100

/**
 * Runs an allowlisted host command without a shell: args[0] must equal an allowlist entry
 * exactly (so "echo" allows neither "/bin/echo" nor "./echo"), args.slice(1) go to it verbatim.
 * The child gets the input on stdin, PATH as its only environment variable (the worker's secrets
 * stay out of jobs) and the temp dir as cwd (relative paths in a job never resolve inside the
 * node's data dir). It runs in its own process group, which is SIGKILLed on timeout, output cap
 * and abort, and after a normal exit too, so no stray descendants outlive the job.
 *
 * A non-zero exit is a result; death by signal is 128+signo; a command that cannot be started
 * is reported like a shell would (127 not found, 126 not executable) with the reason on stderr.
 *
 * Node reports no rusage for children, so cpuMs and maxRssKb are sampled from /proc/<pid> every
 * 50 ms: they are lower bounds covering the direct child only, and 0 for very short runs or on
 * systems without /proc.
 */
export class ProcessExecutor implements Executor {
  readonly name = 'process'
  private readonly allowlist: ReadonlySet<string>

  constructor (opts: ProcessExecutorOptions) {
    this.allowlist = new Set(opts.allowlist)
  }

  async execute (req: ExecutionRequest): Promise<ExecutionOutcome> {
    const t0 = performance.now()
    const command = req.args[0]
    if (command == null || command === '') throw new CommandNotAllowedError('no command given')
    if (!this.allowlist.has(command)) throw new CommandNotAllowedError(`command "${command}" is not on this worker's allowlist`)
    if (req.signal.aborted) throw new ExecutionAbortedError('run aborted before it started')

    const env: Record<string, string> = {}
    if (process.env.PATH != null) env.PATH = process.env.PATH
    const child = spawn(command, req.args.slice(1), {
      shell: false,
      detached: true, // own process group, so the whole tree can be killed at once
      env,
      cwd: tmpdir(),
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true
    })

    return await new Promise<ExecutionOutcome>((resolve, reject) => {
      const stdout: Buffer[] = []
      let stdoutBytes = 0
      const stderr: Buffer[] = []
      let stderrBytes = 0
      let usage = { cpuMs: 0, maxRssKb: 0 }
      let settled = false

      const killGroup = (): void => {
        if (child.pid == null) return
        try { process.kill(-child.pid, 'SIGKILL') } catch { /* ESRCH: the group is already gone */ }
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        clearInterval(sampler)
        req.signal.removeEventListener('abort', onAbort)
      }
      const fail = (err: Error): void => {
        if (settled) return
        settled = true
        cleanup()
        killGroup()
        reject(err)
      }
      const done = (exitCode: number): void => {
        if (settled) return
        settled = true
        cleanup()
        resolve({
          exitCode,
          output: new Uint8Array(Buffer.concat(stdout)),
          stderr: new Uint8Array(Buffer.concat(stderr)),
          wallMs: Math.round(performance.now() - t0),
          ...usage
        })
      }

      const timer = setTimeout(() => fail(new ExecutorTimeoutError(`process exceeded the ${req.timeoutMs} ms time limit`)), req.timeoutMs)
      const sampler = setInterval(() => {
        const s = child.pid != null ? sampleProc(child.pid) : undefined
        // both only grow; a zombie's status has no VmHWM any more, so never let a sample lower them
        if (s != null) usage = { cpuMs: Math.max(usage.cpuMs, s.cpuMs), maxRssKb: Math.max(usage.maxRssKb, s.maxRssKb) }
      }, SAMPLE_INTERVAL_MS)
      const onAbort = (): void => fail(new ExecutionAbortedError('run aborted'))
      req.signal.addEventListener('abort', onAbort, { once: true })

      child.on('error', (err: NodeJS.ErrnoException) => {
        if (child.pid != null) return // a failed kill or similar after the start: 'close' still comes
        const code = err.code === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE
        stderr.push(Buffer.from(`cannot run "${command}": ${err.message}\n`))
        done(code)
      })

      child.stdout.on('data', (chunk: Buffer) => {
        if (settled) return
        stdoutBytes += chunk.byteLength
        if (stdoutBytes > req.maxOutputBytes) {
          fail(new OutputLimitExceededError(`process stdout exceeded ${req.maxOutputBytes} bytes`))
          return
        }
        stdout.push(chunk)
      })
      child.stderr.on('data', (chunk: Buffer) => {
        // keep reading (a full pipe would block the child) but keep only the first maxOutputBytes
        const room = req.maxOutputBytes - stderrBytes
        if (room <= 0) return
        const kept = chunk.byteLength > room ? chunk.subarray(0, room) : chunk
        stderr.push(kept)
        stderrBytes += kept.byteLength
      })

      // the child may exit without reading its stdin: EPIPE is expected then, not a failure
      child.stdin.on('error', () => {})
      child.stdin.end(req.input)

      // Once the child is gone, kill what it left in its group so their inherited pipes close
      // and 'close' fires instead of waiting for the time limit.
      child.on('exit', () => killGroup())
      child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
        if (signal != null) done(128 + (constants.signals[signal] ?? 0))
        else done(code ?? 0)
      })
    })
  }
}

/** CPU time and peak RSS of a live process from /proc, or undefined when unreadable. */
function sampleProc (pid: number): { cpuMs: number, maxRssKb: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // fields after "(comm)" start at field 3 (state); utime and stime are fields 14 and 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    if (!Number.isFinite(ticks)) return undefined
    return { cpuMs: Math.round(ticks * 1000 / CLOCK_TICKS_PER_SEC), maxRssKb: hwm != null ? Number(hwm[1]) : 0 }
  } catch {
    return undefined
  }
}
