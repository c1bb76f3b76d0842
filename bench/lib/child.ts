// The bench's end of a child process (a worker host or the coordinator host): typed messages over
// IPC, replies awaited by type (and id), and an error or exit of the child failing what waits.
import { fork, type ChildProcess, type Serializable } from 'node:child_process'

interface Pending<M> { type: string, id?: number, settle: (m: M | Error) => void }

export class ChildHost<To extends { type: string }, From extends { type: string }> {
  pid = 0
  private readonly pending = new Set<Pending<From>>()
  private exited = false

  protected constructor (readonly proc: ChildProcess, readonly name: string) {
    proc.on('message', (m: From) => {
      if (this.unsolicited(m)) return
      if (m.type === 'error') {
        const err = new Error(`${this.name}: ${(m as { message?: string }).message ?? '?'}`)
        if (this.pending.size === 0) process.stderr.write(`${err.message}\n`)
        for (const p of [...this.pending]) p.settle(err)
        return
      }
      const id = (m as { id?: number }).id
      for (const p of this.pending) if (p.type === m.type && (p.id == null || p.id === id)) { p.settle(m); return }
    })
    proc.on('exit', code => {
      this.exited = true
      for (const p of [...this.pending]) p.settle(new Error(`${this.name} exited (${String(code)})`))
    })
  }

  /**
   * Forks `script` with `arg` (JSON) as its argument. Node options for the child come from the
   * environment variable named `nodeOptionsEnv` (e.g. --cpu-prof for one kind of child only).
   */
  protected static fork (script: string, arg: unknown, nodeOptionsEnv: string, serialization: 'json' | 'advanced' = 'json'): ChildProcess {
    return fork(script, [JSON.stringify(arg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization, execArgv: (process.env[nodeOptionsEnv] ?? '').split(' ').filter(x => x !== '') })
  }

  /** A message no request waits for (a stream of events): handled here, true if it was one. */
  protected unsolicited (_m: From): boolean { return false }

  /** The next message of `type` (with `id`, if given), or an error from the child, its exit, a timeout or the signal. */
  async next<T extends From['type']> (type: T, timeoutMs: number, signal: AbortSignal, id?: number): Promise<Extract<From, { type: T }>> {
    signal.throwIfAborted()
    return await new Promise<Extract<From, { type: T }>>((resolve, reject) => {
      const entry: Pending<From> = {
        type,
        id,
        settle: (m: From | Error): void => {
          this.pending.delete(entry)
          clearTimeout(t)
          signal.removeEventListener('abort', onAbort)
          if (m instanceof Error) reject(m)
          else resolve(m as Extract<From, { type: T }>)
        }
      }
      const onAbort = (): void => { entry.settle(signal.reason as Error) }
      const t = setTimeout(() => { entry.settle(new Error(`${this.name}: no "${type}" within ${timeoutMs} ms`)) }, timeoutMs)
      signal.addEventListener('abort', onAbort, { once: true })
      if (this.exited) { entry.settle(new Error(`${this.name} has exited`)); return }
      this.pending.add(entry)
    })
  }

  send (m: To): void { if (!this.exited) this.proc.send(m as unknown as Serializable) }

  get hasExited (): boolean { return this.exited }

  /** Asks the child to stop; killed if it has not exited within `graceMs`. */
  async stop (graceMs = 15_000): Promise<void> {
    if (this.exited) return
    const done = new Promise<void>(resolve => { this.proc.once('exit', () => { resolve() }) })
    this.send({ type: 'stop' } as unknown as To)
    const t = setTimeout(() => { this.proc.kill('SIGKILL') }, graceMs)
    await done
    clearTimeout(t)
  }
}
