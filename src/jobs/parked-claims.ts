// Claims waiting for work. A worker with a free slot leaves one claim open on its session stream;
// a new job is handed to the first waiting claim it fits, so an idle mesh dispatches in one message
// each way instead of a gossip announcement, a claim and an answer.

interface Waiter {
  /** whether the claim could take some queued job now */
  wants: () => boolean
  wake: () => void
}

export class ParkedClaims {
  private readonly waiters = new Set<Waiter>()

  get size (): number { return this.waiters.size }

  /**
   * Waits until `offer` picks this claim, `until` (epoch ms) passes or `signal` aborts. The caller
   * then looks for work again: being woken is a hint, not a reservation.
   */
  async wait (wants: () => boolean, until: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return
    await new Promise<void>(resolve => {
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        this.waiters.delete(waiter)
        resolve()
      }
      const waiter: Waiter = { wants, wake: done }
      const timer = setTimeout(done, Math.max(0, until - Date.now()))
      signal.addEventListener('abort', done, { once: true })
      this.waiters.add(waiter)
    })
  }

  /** Wakes up to `n` waiting claims that fit some queued job, longest-waiting first; returns how many. */
  offer (n: number): number {
    let woken = 0
    for (const w of this.waiters) {
      if (woken >= n) break
      if (!w.wants()) continue
      w.wake()
      woken++
    }
    return woken
  }

  /** Wakes every waiting claim (a resume, a stop): each looks again or answers "no work". */
  wakeAll (): void {
    for (const w of [...this.waiters]) w.wake()
  }
}
