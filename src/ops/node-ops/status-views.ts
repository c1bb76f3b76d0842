// What operations show of a node: /status, /ready, `nodes list`, `jobs explain`, dead letters, and
// the live figures the metrics gauges read. Also counts assignments (rate and dispatch latency),
// which only these views and the metrics use.
import { peerIdFromString } from '@libp2p/peer-id'
import type { JobRecord } from '../../jobs/types.js'
import { JobNotFoundError } from '../../errors/index.js'
import type { MetricsSource } from '../metrics.js'
import type { OperatorState } from '../operator-state.js'
import { peersByRole, roleOf, type PeerRole } from '../peer-roles.js'
import { explainJob, type Explanation } from '../explain.js'
import { NotCoordinatorError } from '../../errors/index.js'
import type { OpsContext } from './context.js'
import { probeJobs, type OperatorGate } from './dispatch-gate.js'

export interface DeadLetter {
  id: string
  reason: string
  failedAt: string
  attempts: Array<{ attempt: number, worker: string, outcome: string, reason: string }>
}

export class StatusViews {
  private readonly startedAt = Date.now()
  private readonly assignedAt: number[] = []
  private lastCheckpointAt?: number

  constructor (private readonly ctx: OpsContext, private readonly gate: OperatorGate) {}

  /** A job was assigned: the assignment rate, and its time from the queue to this assignment. */
  assigned (jobId: string, worker: string): void {
    const now = Date.now()
    this.ctx.health.assigned(worker)
    this.ctx.metrics.assignments.inc()
    this.assignedAt.push(now)
    while (this.assignedAt.length > 0 && this.assignedAt[0] < now - 60_000) this.assignedAt.shift()
    const rec = this.ctx.store?.live.get(jobId)
    if (rec != null) {
      // from the last time it entered the queue to this assignment
      const ts = rec.timestamps
      const queuedAt = [...ts].reverse().find(t => t.state === 'queued')?.at
      const readyAt = Math.max(queuedAt ?? rec.createdAt, Math.min(rec.notBefore, now))
      this.ctx.metrics.dispatchLatency.observe(Math.max(0, now - readyAt) / 1000)
    }
  }

  checkpointSigned (): void {
    this.lastCheckpointAt = Date.now()
  }

  ledger (): ReturnType<MetricsSource['ledger']> {
    const l = this.ctx.node?.ledger
    if (l == null) return undefined
    return { height: l.size, checkpointSize: l.checkpointSize, ...(this.lastCheckpointAt != null ? { checkpointAgeSec: (Date.now() - this.lastCheckpointAt) / 1000 } : {}) }
  }

  operator (): ReturnType<MetricsSource['operator']> {
    const state = this.ctx.state
    const peers = Object.values(state.peers)
    return {
      paused: state.paused,
      draining: this.ctx.node?.worker?.isDraining ?? false,
      rampRatePerSec: state.ramp()?.ratePerSec,
      drainingPeers: peers.filter(p => p.drain != null).length,
      isolatedPeers: peers.filter(p => p.isolate != null).length,
      quarantinedPeers: peers.filter(p => p.quarantine != null).length
    }
  }

  async explain (jobId: string): Promise<Explanation> {
    const a = this.ctx.node
    const store = this.ctx.store
    if (a?.coordinator == null || store == null) throw new NotCoordinatorError('jobs explain runs on the coordinator that holds the job')
    const rec = await store.get(jobId)
    if (rec == null) throw new JobNotFoundError(`no job ${jobId} at this coordinator`)
    const byRole = await peersByRole(a.libp2p)
    const leasesByWorker = new Map<string, number>()
    for (const r of store.live.values()) if (r.lease != null) leasesByWorker.set(r.lease.worker, (leasesByWorker.get(r.lease.worker) ?? 0) + 1)
    return explainJob(rec, {
      now: Date.now(),
      paused: this.ctx.state.paused,
      state: this.ctx.state,
      health: this.ctx.health,
      connectedWorkers: new Set(byRole.worker),
      probes: probeJobs(this.ctx.state),
      leasesByWorker,
      decisions: this.gate.decisionsFor(jobId)
    })
  }

  /** Failed jobs that used every attempt without a program result, newest first. */
  async deadLetters (limit = 100): Promise<DeadLetter[]> {
    const store = this.ctx.store
    if (store == null) throw new NotCoordinatorError('dead letters are kept by coordinators')
    const failed = await store.list({ state: 'failed', limit: 100_000 })
    return failed.filter(isDeadLetter).reverse().slice(0, limit).map(r => ({
      id: r.id,
      reason: r.reason,
      failedAt: new Date(r.updatedAt).toISOString(),
      attempts: r.attempts.map(x => ({ attempt: x.attempt, worker: x.worker, outcome: x.outcome, reason: x.reason ?? '' }))
    }))
  }

  /** Every peer this node holds operator state or a track record about. */
  async nodes (): Promise<Array<Record<string, unknown>>> {
    const { state, health, store } = this.ctx
    const a = this.ctx.node
    const ids = new Set([...Object.keys(state.peers), ...health.all().map(w => w.peer)])
    if (a != null) for (const c of a.libp2p.getConnections()) ids.add(c.remotePeer.toString())
    const out: Array<Record<string, unknown>> = []
    for (const id of ids) {
      const pid = peerIdFromString(id)
      const connected = a != null && a.libp2p.getConnections(pid).length > 0
      const role: PeerRole = a != null ? await roleOf(a.libp2p, pid) : 'unknown'
      const op = state.peerState(id)
      const w = health.get(id)
      const leases = store != null ? [...store.live.values()].filter(r => r.lease?.worker === id).length : 0
      out.push({
        peerId: id,
        role,
        connected,
        status: peerStatus(op, Date.now()),
        ...(op != null ? { operator: op } : {}),
        runningHere: leases,
        // a peer that says it is a coordinator: whether this node accepts it, and why
        ...(role === 'coordinator' && a?.authority != null ? { grant: a.authority.standing(id) } : {}),
        ...(w != null ? { assigned: w.assigned, succeeded: w.succeeded, failed: w.failed, leaseExpired: w.leaseExpired, consecutiveFailures: w.consecutiveFailures, failureRate: health.failureRate(id) ?? null, lastClaimAt: w.lastClaim != null ? new Date(w.lastClaim.at).toISOString() : null, lastRefusal: w.lastRefusal?.reason ?? null } : {})
      })
    }
    return out.sort((x, y) => String(x.peerId).localeCompare(String(y.peerId)))
  }

  async status (): Promise<Record<string, unknown>> {
    const { state, health, store, role } = this.ctx
    const a = this.ctx.node
    const now = Date.now()
    const byRole = a != null ? await peersByRole(a.libp2p) : { coordinator: [], worker: [], client: [], unknown: [] }
    while (this.assignedAt.length > 0 && this.assignedAt[0] < now - 60_000) this.assignedAt.shift()
    const out: Record<string, unknown> = {
      role,
      peerId: a?.libp2p.peerId.toString(),
      uptimeSec: Math.round((now - this.startedAt) / 1000),
      peers: Object.fromEntries(Object.entries(byRole).map(([k, v]) => [k, v.length])),
      paused: state.paused,
      draining: a?.worker?.isDraining ?? false,
      ramp: state.ramp(now) ?? null
    }
    if (a?.coordinator != null && store != null) {
      const active: string[] = []
      const pending: string[] = []
      for (const w of byRole.worker) {
        // in service: has claimed here and nothing bars it; pending: connected but not (yet) in service
        if (health.get(w)?.lastClaim != null && this.gate.refusal(w, false, now) == null) active.push(w)
        else pending.push(w)
      }
      let ended = 0
      let failedN = 0
      const byWorker: Record<string, number> = {}
      for (const w of health.all()) {
        ended += w.recent.length
        failedN += w.recent.filter(Boolean).length
        const r = health.failureRate(w.peer)
        if (r != null) byWorker[w.peer] = round(r)
      }
      const ledger = this.ledger()
      Object.assign(out, {
        queue: store.countsByState(),
        queueDepth: a.coordinator.queueDepth(),
        // pending: connected but not in service (which includes enrolled nodes not yet approved)
        workers: { active, pending, awaitingApproval: a.awaitingApproval?.() ?? [] },
        assignmentRatePerSec: round(this.assignedAt.length / Math.min(60, Math.max(1, (now - this.startedAt) / 1000))),
        failureRates: { overall: ended > 0 ? round(failedN / ended) : null, byWorker },
        ledger: ledger != null ? { ...ledger, lastCheckpointAgeSec: ledger.checkpointAgeSec ?? null, appendsHeld: a.ledger?.appendsHeld ?? null } : null,
        operator: {
          draining: Object.entries(state.peers).filter(([, p]) => p.drain != null).map(([k, p]) => ({ peer: k, drained: p.drain?.drainedAt != null })),
          isolated: Object.entries(state.peers).filter(([, p]) => p.isolate != null).map(([k, p]) => ({ peer: k, until: new Date(p.isolate?.until ?? 0).toISOString() })),
          quarantined: Object.entries(state.peers).filter(([, p]) => p.quarantine != null).map(([k, p]) => ({ peer: k, until: new Date(p.quarantine?.until ?? 0).toISOString(), reason: p.quarantine?.reason }))
        }
      })
    }
    if (a?.worker != null) {
      out.worker = { running: a.worker.runningJobs.length, freeSlots: a.worker.freeSlots, coordinators: [...a.worker.coordinators], ungrantedCoordinators: [...a.worker.ungranted] }
    }
    // where this node stands at each coordinator: pending, active, or rejected with the reason
    if (a?.enrollment != null) out.enrollment = a.enrollment()
    if (a?.authority != null) {
      // the coordinators this node accepts, and why; for a coordinator, whether it is one
      const self = a.libp2p.peerId.toString()
      out.authority = {
        adminKeys: a.authority.adminKeys,
        coordinators: a.authority.coordinators().map(c => ({ peerId: c.peerId, state: c.state, label: c.label, until: c.until === 0 ? null : new Date(c.until).toISOString(), by: c.by })),
        ...(role === 'coordinator' ? { self: a.authority.standing(self) } : {})
      }
    }
    return out
  }

  /** Ready: libp2p started, stores answering, and joined (a connection when bootstrap peers are set). */
  async ready (): Promise<{ ready: boolean, reasons: string[] }> {
    const reasons: string[] = []
    const a = this.ctx.node
    if (a == null || this.ctx.stopped) return { ready: false, reasons: ['node not started'] }
    if (a.libp2p.status !== 'started') reasons.push(`libp2p ${a.libp2p.status}`)
    try {
      await this.ctx.store?.getMeta('ready-probe')
      if (a.ledger != null) await a.ledger.noteAt(0)
    } catch (err) {
      reasons.push(`storage not open: ${(err as Error).message}`)
    }
    if (a.bootstrapPeers > 0 && a.libp2p.getConnections().length === 0) reasons.push('not connected to any peer yet')
    if (a.authority != null && a.authority.adminKeys.length === 0 && this.ctx.role !== 'coordinator') reasons.push('no admin key of the mesh is known: no coordinator is accepted (start with the mesh\'s bootstrap file)')
    else if (a.worker != null && a.worker.coordinators.size === 0) reasons.push(a.worker.ungranted.size > 0 ? `no granted coordinator found yet (${a.worker.ungranted.size} ungranted peer(s) offer work)` : 'no coordinator found yet')
    if (a.worker != null && a.enrollment != null && a.worker.coordinators.size > 0) {
      const at = Object.entries(a.enrollment())
      if (!at.some(([, e]) => e.status === 'active')) reasons.push(`not admitted by any coordinator${at.length > 0 ? `: ${at.map(([c, e]) => `${c} ${e.status}${e.reason !== '' ? ` (${e.reason})` : ''}`).join('; ')}` : ' yet'}`)
    }
    if (a.ledger?.appendsHeld != null) reasons.push(`ledger appends held: ${a.ledger.appendsHeld}`)
    if (a.coordinator != null && a.authority != null && !a.coordinator.isGranted) reasons.push(`not a granted coordinator: ${a.authority.standing(a.libp2p.peerId.toString()).why}`)
    return { ready: reasons.length === 0, reasons }
  }
}

/** A failure that used every attempt (not a program that exited non-zero, which is a result). */
export function isDeadLetter (r: JobRecord): boolean {
  if (r.state !== 'failed') return false
  return !(r.result != null && r.result.error == null && r.result.attempt === r.attempt)
}

function peerStatus (op: ReturnType<OperatorState['peerState']>, now: number): string {
  if (op == null) return 'in service'
  const s: string[] = []
  if (op.isolate != null && op.isolate.until > now) s.push('isolated')
  if (op.drain != null) s.push(op.drain.drainedAt != null ? 'drained' : 'draining')
  if (op.quarantine != null) s.push(op.quarantine.probeJob != null ? 'quarantined (probing)' : 'quarantined')
  return s.length > 0 ? s.join(', ') : 'in service'
}

function round (n: number): number { return Math.round(n * 1000) / 1000 }
