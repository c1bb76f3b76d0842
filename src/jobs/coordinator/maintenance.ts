// The coordinator's tick: lease expiry, jobs that became due (retries after their backoff, a
// resume) offered to waiting claims, and re-announcements.
import type { CoordinatorContext } from './context.js'
import type { Announcer } from './announce.js'
import type { Leases } from './leases.js'

export class Maintenance {
  private timer?: ReturnType<typeof setInterval>
  private lastTickAt = 0

  constructor (private readonly ctx: CoordinatorContext, private readonly leases: Leases, private readonly announcer: Announcer) {}

  start (): void {
    // several ticks per lease, so an expiry is noticed well within its length
    const every = Math.max(50, Math.min(250, Math.floor(this.ctx.leaseMs / 8)))
    // a failed job-store write stops the store (it refuses everything until a restart): log it, do not crash
    this.timer = setInterval(() => { this.tick().catch(err => { this.ctx.log.error('maintenance: %s', (err as Error).message) }) }, every)
    this.timer.unref?.()
  }

  stop (): void {
    if (this.timer != null) clearInterval(this.timer)
    this.timer = undefined
  }

  private async tick (): Promise<void> {
    const ctx = this.ctx
    if (!ctx.started) return
    const now = Date.now()
    await this.leases.expire(now)
    if (ctx.paused) return
    // jobs that became due go to waiting claims first; only then: a queue nobody's claim fits is
    // not rescanned for every waiting claim at every tick
    if (ctx.parked.size > 0 && ctx.queued.size > 0 && this.becameDue(now)) ctx.parked.offer(ctx.queued.size)
    this.lastTickAt = now
    this.announcer.announceDue(now)
  }

  /** whether some queued job may fit a waiting claim now that did not at the last tick */
  private becameDue (now: number): boolean {
    const ctx = this.ctx
    if (ctx.offerDue) { ctx.offerDue = false; return true }
    for (const id of ctx.queued) {
      const nb = ctx.store.live.get(id)?.notBefore ?? 0
      if (nb > this.lastTickAt && nb <= now) return true
    }
    return false
  }
}
