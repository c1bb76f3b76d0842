// Settling finished jobs with the ledger outside the result path: after a crash between accepting a
// result and settling it, and after a restored ledger caught up from a replica.
import type { JobRecord, JobState } from '../types.js'
import type { CoordinatorContext } from './context.js'

export class Settlement {
  constructor (private readonly ctx: CoordinatorContext) {}

  /** Settles every finished job with a result that is not settled yet (settle is exactly-once). */
  async settleFinished (): Promise<void> {
    const ctx = this.ctx
    const ledger = ctx.init.ledger
    if (ledger == null) return
    for (const id of ctx.store.finishedWithResult) {
      if (ledger.isSettled(id)) continue
      const rec = await ctx.store.get(id)
      if (rec != null) await ctx.together(async () => await ledger.settle(rec))
    }
  }

  /**
   * After a restored ledger caught up from a replica: a job the log shows settled (it finished after
   * the backup) but that the restored store still has open is closed with the settled outcome (its
   * output is not in the backup), so it neither runs nor is paid twice; then finished jobs not yet
   * settled are settled.
   */
  async reconcileLedger (): Promise<number> {
    const ctx = this.ctx
    const ledger = ctx.init.ledger
    if (ledger == null) return 0
    const now = Date.now()
    const changes: Array<{ rec: JobRecord, previous: JobState }> = []
    for (const rec of ctx.store.live.values()) {
      const settled = await ledger.settlementOf(rec.id)
      if (settled == null) continue
      const previous = rec.state
      rec.lease = undefined
      rec.reason = `settled (${settled.outcome}, worker ${settled.worker}, attempt ${settled.attempt}) after the backup this coordinator was restored from; its output is not in the backup`
      ctx.enter(rec, settled.outcome === 'succeeded' ? 'succeeded' : 'failed', now)
      ctx.queued.delete(rec.id)
      changes.push({ rec, previous })
    }
    if (changes.length > 0) await ctx.together(async () => { await ctx.store.putMany(changes) })
    for (const c of changes) { ctx.init.ledger?.release(c.rec.id); ctx.afterTransition(c.rec) }
    await this.settleFinished()
    return changes.length
  }
}
