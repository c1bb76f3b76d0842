// What an operator action means on the running node once the operator state has changed (pause
// and resume the coordinator, tell a worker to drain or come back, cut an isolated peer off), and
// the other side of the ops notices: a worker told to drain by a coordinator it serves, or a
// coordinator told that a worker drained.
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { OpsNotice, type OpsNoticeAck } from '../../wire/pb/ops.js'
import type { HistoryEntry } from '../operator-state.js'
import type { OpsContext } from './context.js'

/** a draining worker that claims again is told again, at most this often */
const NOTICE_RETRY_MS = 10_000

export class OperatorEffects {
  private readonly lastNotice = new Map<string, number>()
  /** peers this worker drains for: told DRAINED once its running jobs finish */
  private readonly drainRequesters = new Set<string>()

  /** `onStagedResume`: the self-healing loop paces announcements during a staged ramp */
  constructor (private readonly ctx: OpsContext, private readonly onStagedResume: () => void) {}

  /** Every change of the operator state, as it is recorded. */
  onChange (e: HistoryEntry): void {
    this.ctx.events.emit('ops:action', e)
    const a = this.ctx.node
    if (a == null) return
    const c = a.coordinator
    switch (e.action) {
      case 'pause': c?.setPaused(true); break
      case 'resume': c?.setPaused(false); c?.reannounce(); break
      case 'resume-staged': c?.setPaused(false); this.onStagedResume(); break
      case 'drain': if (e.peer != null) void this.tellDrain(e.peer); break
      case 'isolate': if (e.peer != null) void this.cutOff(e.peer); break
      case 'return':
        if (e.peer != null) void this.tell(e.peer, OpsNotice.Kind.UNDRAIN, 'returned to service')
        c?.reannounce()
        break
      case 'isolation-ended': case 'release': c?.reannounce(); break
    }
  }

  /** A draining worker claimed: it did not get (or forgot, restarting) the notice, so tell it again. */
  remindDrain (peer: string): void {
    if ((this.lastNotice.get(peer) ?? 0) + NOTICE_RETRY_MS < Date.now()) void this.tellDrain(peer)
  }

  /** Notices from other nodes: a coordinator draining this worker, or a worker saying it drained. */
  async onNotice (kind: OpsNotice.Kind, from: PeerId, reason: string): Promise<OpsNoticeAck> {
    const w = this.ctx.node?.worker
    const remote = from.toString()
    if (kind === OpsNotice.Kind.DRAINED) {
      if (await this.ctx.state.markDrained(remote)) this.ctx.metrics.healing.inc({ action: 'drained' })
      return { running: 0, draining: false }
    }
    if (w == null || !w.coordinators.has(remote)) {
      // only a coordinator this worker serves may drain it
      return { running: w?.runningJobs.length ?? 0, draining: w?.isDraining ?? false }
    }
    if (kind === OpsNotice.Kind.UNDRAIN) {
      this.drainRequesters.delete(remote)
      if (w.isDraining && this.drainRequesters.size === 0) {
        w.undrain()
        this.ctx.events.emit('ops:action', { at: Date.now(), by: 'operator', action: 'undrain', peer: remote, detail: `back in service (${reason})` })
      }
      return { running: w.runningJobs.length, draining: w.isDraining }
    }
    const first = this.drainRequesters.size === 0
    this.drainRequesters.add(remote)
    if (first || !w.isDraining) {
      this.ctx.events.emit('ops:action', { at: Date.now(), by: 'operator', action: 'draining', peer: remote, detail: `no new work; ${w.runningJobs.length} running (${reason})` })
      void w.drain().then(async () => {
        if (!w.isDraining) return
        this.ctx.events.emit('ops:action', { at: Date.now(), by: 'worker', action: 'drained', detail: 'every running job finished' })
        for (const c of this.drainRequesters) await this.tell(c, OpsNotice.Kind.DRAINED, 'running jobs finished')
      })
    }
    return { running: w.runningJobs.length, draining: true }
  }

  private async tell (peer: string, kind: OpsNotice.Kind, reason: string): Promise<OpsNoticeAck | undefined> {
    const a = this.ctx.node
    if (a == null) return undefined
    this.lastNotice.set(peer, Date.now())
    try {
      return await a.service.send(peerIdFromString(peer), kind, reason)
    } catch (err) {
      this.ctx.events.emit('ops:error', { msg: `could not send ${kind} to ${peer}`, error: (err as Error).message, peer })
      return undefined
    }
  }

  private async tellDrain (peer: string): Promise<void> {
    const ack = await this.tell(peer, OpsNotice.Kind.DRAIN, 'drained by the coordinator operator')
    if (ack?.draining === true && ack.running === 0) await this.ctx.state.markDrained(peer)
  }

  /** Isolation: hang up, and end its live attempts here so the jobs go elsewhere now. */
  private async cutOff (peer: string): Promise<void> {
    const a = this.ctx.node
    if (a == null) return
    try { await a.libp2p.hangUp(peerIdFromString(peer)) } catch (err) { this.ctx.events.emit('ops:error', { msg: 'hang up failed', error: (err as Error).message, peer }) }
    const store = this.ctx.store
    if (a.coordinator == null || store == null) return
    for (const rec of [...store.live.values()]) {
      if (rec.lease?.worker !== peer) continue
      if (await a.coordinator.revokeAttempt(rec.id, rec.lease.attempt, 'worker isolated by the operator')) {
        await this.ctx.state.note({ by: 'operator', action: 'revoke', peer, jobId: rec.id, detail: 'attempt ended: worker isolated; job requeued' })
      }
    }
  }
}
