// The DHT record that lets workers and clients find this coordinator: provided only while it holds
// a grant, refreshed periodically, and retried because the routing table may still be empty.
import { coordinatorsCid } from '../coordinators-cid.js'
import type { CoordinatorContext } from './context.js'

const REFRESH_MS = 5 * 60_000
const RETRY_MS = 2_000
const PROVIDE_TIMEOUT_MS = 15_000

export class Provider {
  private timer?: ReturnType<typeof setTimeout>

  constructor (private readonly ctx: CoordinatorContext) {}

  /** Provides now (and keeps providing) if granted. */
  start (): void { void this.provide() }

  /** Provides again at once (a grant arrived). */
  restart (): void {
    if (this.timer != null) clearTimeout(this.timer)
    void this.provide()
  }

  stop (): void {
    if (this.timer != null) clearTimeout(this.timer)
    this.timer = undefined
  }

  private async provide (): Promise<void> {
    const ctx = this.ctx
    if (!ctx.isGranted) return
    const signal = ctx.abort.signal
    try {
      await ctx.components.contentRouting.provide(await coordinatorsCid(ctx.init.meshId), { signal: AbortSignal.any([signal, AbortSignal.timeout(PROVIDE_TIMEOUT_MS)]) })
      ctx.log('provided coordinator record')
      // stopped while the record went out: nothing is scheduled after stop
      if (signal.aborted) return
      this.schedule(REFRESH_MS)
    } catch (err) {
      if (signal.aborted) return
      ctx.log('provide failed, retrying: %s', (err as Error).message)
      this.schedule(RETRY_MS)
    }
  }

  private schedule (ms: number): void {
    this.timer = setTimeout(() => { void this.provide() }, ms)
    this.timer.unref?.()
  }
}
