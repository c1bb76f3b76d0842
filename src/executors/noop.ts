import type { Executor, ExecutionRequest, ExecutionOutcome } from './types.js'
import { ExecutionAbortedError, ExecutorTimeoutError } from '../errors/index.js'

/** Echoes its input after an optional delay: for drills and benchmarks (like Nomad's mock driver). */
export class NoopExecutor implements Executor {
  readonly name = 'noop'
  async execute (req: ExecutionRequest): Promise<ExecutionOutcome> {
    const t0 = performance.now()
    const cpu0 = process.cpuUsage()
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
    const cpu = process.cpuUsage(cpu0)
    return {
      exitCode: 0,
      output: req.input,
      stderr: new Uint8Array(0),
      wallMs: Math.round(performance.now() - t0),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      maxRssKb: process.resourceUsage().maxRSS
    }
  }
}
