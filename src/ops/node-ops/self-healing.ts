// Self-healing on a coordinator: every attempt's end goes into the worker's record (quarantine
// after failures in a row, a probe job before it returns, dead letters noted), and a timer expires
// isolations, paces announcements during a staged ramp, runs quarantine probes and the stuck-job
// detector, which acts and records what it did.
import { peerIdFromString } from '@libp2p/peer-id'
import type { CoordinatorService } from '../../jobs/coordinator/index.js'
import type { JobStore } from '../../jobs/job-store.js'
import type { JobRecord, JobState } from '../../jobs/types.js'
import type { AttemptEnd } from '../worker-health.js'
import type { Explanation } from '../explain.js'
import type { OpsAttachment, OpsContext } from './context.js'
import { PROBE_LABEL, probeJobs, type OperatorGate } from './dispatch-gate.js'
import { isDeadLetter } from './status-views.js'

export class SelfHealing {
  private timer?: ReturnType<typeof setInterval>
  private readonly seenEnds = new Set<string>()
  private readonly stuckActedAt = new Map<string, number>()
  private lastRampKick = 0
  private ramping = false
  private ticking = false

  constructor (private readonly ctx: OpsContext, private readonly gate: OperatorGate, private readonly explain: (jobId: string) => Promise<Explanation>) {}

  start (): void {
    this.timer = setInterval(() => { void this.tick() }, this.ctx.options.tickMs)
    this.timer.unref?.()
  }

  stop (): void {
    if (this.timer != null) clearInterval(this.timer)
  }

  /** A staged resume began: keep announcements coming from the next tick. */
  rampStarted (): void {
    this.ramping = true
    this.lastRampKick = 0
  }

  /** An attempt ended (or the job did): per-worker record, quarantine, probes, dead letters. */
  async attemptEnded (jobId: string, terminal?: JobState): Promise<void> {
    const { state, health, metrics, options } = this.ctx
    const rec = await this.ctx.store?.get(jobId)
    if (rec == null) return
    if (terminal != null) this.gate.forget(jobId)
    await this.onProbeEnded(rec)
    if (terminal === 'failed' && isDeadLetter(rec)) {
      metrics.deadLetters.inc()
      await state.note({ by: 'self-healing', action: 'dead-letter', jobId, detail: rec.reason })
    }
    const a = [...rec.attempts].reverse().find(x => x.endedAt != null && x.outcome !== 'running')
    if (a == null || a.outcome === 'cancelled') return
    const key = `${jobId}:${a.attempt}`
    if (this.seenEnds.has(key)) return
    this.seenEnds.add(key)
    if (this.seenEnds.size > 50_000) this.seenEnds.clear()
    // a program that ran and exited non-zero is the job's answer, not the worker's fault
    const programExit = a.outcome === 'failed' && rec.result?.attempt === a.attempt && rec.result.error == null
    const outcome: AttemptEnd = a.outcome === 'succeeded' || programExit ? 'succeeded' : a.outcome === 'lease-expired' ? 'lease-expired' : 'failed'
    metrics.attemptEnds.inc({ outcome })
    const run = health.ended(a.worker, jobId, outcome, a.reason ?? '')
    const p = state.peerState(a.worker)
    if (outcome !== 'succeeded' && run >= options.quarantineAfter && p?.quarantine == null && p?.isolate == null) {
      const rate = health.failureRate(a.worker) ?? 1
      metrics.healing.inc({ action: 'quarantine' })
      await state.quarantine(a.worker, options.quarantineMs, `${run} failed attempts in a row (failure rate ${(rate * 100).toFixed(0)}%), last: ${a.reason ?? outcome}`)
    }
  }

  private async onProbeEnded (rec: JobRecord): Promise<void> {
    const { state, health, metrics } = this.ctx
    const peer = probeJobs(state).get(rec.id)
    if (peer == null) return
    const q = state.peerState(peer)?.quarantine
    if (q == null) return
    if (rec.state === 'succeeded') {
      health.reset(peer)
      metrics.healing.inc({ action: 'probe-passed' })
      await state.release(peer, rec.id)
      this.ctx.node?.coordinator?.reannounce()
    } else if (rec.state === 'failed' || rec.state === 'cancelled') {
      metrics.healing.inc({ action: 'probe-failed' })
      await state.extend(peer, this.cooldown(q.strikes + 1), rec.id, `probe ${rec.state}: ${rec.reason}`)
    }
  }

  private cooldown (strikes: number): number {
    return Math.min(this.ctx.options.quarantineMs * 2 ** Math.max(0, strikes - 1), 24 * 3600_000)
  }

  private async tick (): Promise<void> {
    const node = this.ctx.node
    if (this.ticking || this.ctx.stopped || node == null) return
    this.ticking = true
    try {
      await this.ctx.state.expire()
      const c = node.coordinator
      const store = this.ctx.store
      if (c != null && store != null) {
        this.kickRamp(c)
        await this.runProbes(c, node)
        await this.detectStuck(c, store)
      }
    } catch (err) {
      this.ctx.events.emit('ops:error', { msg: 'self-healing tick failed', error: (err as Error).message })
    } finally {
      this.ticking = false
    }
  }

  /** During a staged ramp, idle workers only hear of work from announcements: keep some coming. */
  private kickRamp (c: CoordinatorService): void {
    const now = Date.now()
    const r = this.ctx.state.ramp(now)
    if (r == null) {
      if (this.ramping) { this.ramping = false; c.reannounce() }
      return
    }
    this.ramping = true
    if (now - this.lastRampKick < 1_000 || c.queueDepth() === 0) return
    this.lastRampKick = now
    c.reannounce(Math.max(1, Math.ceil(r.ratePerSec)))
  }

  private async runProbes (c: CoordinatorService, a: OpsAttachment): Promise<void> {
    const now = Date.now()
    const { state, metrics } = this.ctx
    for (const [peer, p] of Object.entries(state.peers)) {
      const q = p.quarantine
      if (q == null || q.until > now) continue
      if (q.probeJob == null) {
        if (a.libp2p.getConnections(peerIdFromString(peer)).length === 0) continue
        try {
          const id = await a.jobs.submit({ executor: 'noop', input: `probe ${peer} ${now}`, label: `${PROBE_LABEL}${peer}`, maxAttempts: 1, timeoutMs: 30_000 })
          metrics.healing.inc({ action: 'probe' })
          await state.setProbe(peer, id)
          c.reannounce(1, [id])
        } catch (err) {
          this.ctx.events.emit('ops:error', { msg: 'probe job not queued', error: (err as Error).message, peer })
        }
        continue
      }
      const rec = this.ctx.store?.live.get(q.probeJob)
      if (rec?.state === 'queued' && now - rec.createdAt > this.ctx.options.probeTimeoutMs) {
        // nobody ran it: drop it and try again after another cooldown
        await c.cancel(rec.id).catch(() => {})
      }
    }
  }

  private async detectStuck (c: CoordinatorService, store: JobStore): Promise<void> {
    const now = Date.now()
    const { state, metrics, options } = this.ctx
    for (const rec of [...store.live.values()]) {
      const last = this.stuckActedAt.get(rec.id) ?? 0
      if (rec.lease != null && (rec.state === 'assigned' || rec.state === 'running')) {
        const a = rec.attempts[rec.attempts.length - 1]
        const over = now - (a?.assignedAt ?? now) - rec.timeoutMs
        if (over > options.stuckGraceMs) {
          const reason = `stuck: still leased ${Math.round(over / 1000)} s past its ${rec.timeoutMs} ms timeout`
          const worker = rec.lease.worker
          if (await c.revokeAttempt(rec.id, rec.lease.attempt, reason)) {
            metrics.healing.inc({ action: 'stuck-revoked' })
            await state.note({ by: 'self-healing', action: 'stuck-revoked', jobId: rec.id, peer: worker, detail: `${reason}; attempt ended, job retried or failed` })
          }
        }
        continue
      }
      if (rec.state !== 'queued' || state.paused || rec.notBefore > now || now - last < options.stuckQueuedMs) continue
      const queuedAt = [...rec.timestamps].reverse().find(t => t.state === 'queued')?.at ?? rec.createdAt
      if (now - Math.max(queuedAt, rec.notBefore) < options.stuckQueuedMs) continue
      this.stuckActedAt.set(rec.id, now)
      const e = await this.explain(rec.id)
      const why = e.workers.length === 0 ? 'no worker known' : e.workers.filter(w => w.verdict === 'eligible').length > 0 ? 'eligible workers did not claim' : 'no eligible worker'
      c.reannounce(Infinity, [rec.id])
      metrics.healing.inc({ action: 'stuck-reannounced' })
      await state.note({ by: 'self-healing', action: 'stuck-reannounced', jobId: rec.id, detail: `queued ${Math.round((now - queuedAt) / 1000)} s unclaimed (${why}); announced again to every worker` })
    }
    for (const id of this.stuckActedAt.keys()) if (!store.live.has(id)) this.stuckActedAt.delete(id)
  }
}
