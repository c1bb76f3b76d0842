import type { Executor } from './types.js'
import { NoopExecutor } from './noop.js'
import { WasmExecutor } from './wasm.js'
import { ProcessExecutor } from './process.js'
import { ExecutorNotFoundError } from '../errors/index.js'

/** The executors a worker can run, by name. Registering a name again replaces the executor. */
export class ExecutorRegistry {
  private readonly executors = new Map<string, Executor>()

  register (executor: Executor): void { this.executors.set(executor.name, executor) }

  get (name: string): Executor {
    const e = this.executors.get(name)
    if (e == null) throw new ExecutorNotFoundError(`no executor "${name}" on this worker`)
    return e
  }

  names (): string[] { return [...this.executors.keys()] }
}

export interface DefaultExecutorsOptions {
  /** commands the process executor may run; without any, it is not registered at all */
  processAllowlist?: string[]
}

/** noop and wasm always; process only when the operator allowlisted at least one command. */
export function createDefaultExecutors (opts: DefaultExecutorsOptions = {}): ExecutorRegistry {
  const r = new ExecutorRegistry()
  r.register(new NoopExecutor())
  r.register(new WasmExecutor())
  const allowlist = opts.processAllowlist ?? []
  if (allowlist.length > 0) r.register(new ProcessExecutor({ allowlist }))
  return r
}
