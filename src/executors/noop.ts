import type { Executor, ExecutionRequest, ExecutionOutcome } from './types.js'
import { ExecutionAbortedError, ExecutorTimeoutError } from '../errors/index.js'

/**
 * CPU time of this thread, ms. process.cpuUsage() and resourceUsage() are getrusage over every
 * thread of the process, so a worker's LevelDB threads would be counted as the job's work
 * (docs/benchmarks.md). A noop runs on the main thread, so its thread's time is
 * the right figure; older runtimes without threadCpuUsage report 0.
 */
function threadCpuMicros (): number {
  const p = process as NodeJS.Process & { threadCpuUsage?: () => NodeJS.CpuUsage }
  const u = p.threadCpuUsage?.()
  return u == null ? 0 : u.user + u.system
}

/** Echoes its input after an optional delay: for drills and benchmarks (like Nomad's mock driver). */
export class NoopExecutor implements Executor {
  readonly name = 'noop'
  async execute (req: ExecutionRequest): Promise<ExecutionOutcome> {
    const t0 = performance.now()
    const cpu0 = threadCpuMicros()
    const delay = req.delayMs ?? 0
    if (delay > 0) {
      await new Promise<void>((resolve, reject) => {
        const tooLong = delay > req.timeoutMs
        const t = setTimeout(() => {
          req.signal.removeEventListener('abort', onAbort)
          if (tooLong) reject(new ExecutorTimeoutError(`noop delay exceeded the ${req.timeoutMs} ms time limit`))
          else resolve()
        }, tooLong ? req.timeoutMs : delay)
        const onAbort = (): void => { clearTimeout(t); reject(new ExecutionAbortedError('run aborted')) }
        if (req.signal.aborted) onAbort()
        else req.signal.addEventListener('abort', onAbort, { once: true })
      })
    } else if (req.signal.aborted) {
      throw new ExecutionAbortedError('run aborted')
    }
    const cpuMicros = threadCpuMicros() - cpu0
    return {
      exitCode: 0,
      output: req.input,
      stderr: new Uint8Array(0),
      wallMs: Math.round(performance.now() - t0),
      cpuMs: Math.round(cpuMicros / 1000),
      // a noop allocates nothing worth reporting; the process's peak RSS is not the job's
      maxRssKb: 0
    }
  }
}
