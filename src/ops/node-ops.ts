// The operations side of one node, wired to its parts: operator state and its side effects (pause,
// staged ramp, drain, isolate, return), self-healing on a coordinator (per-worker failure rates,
// quarantine with a probe job before return, a stuck-job detector that acts and records what it
// did, dead letters), the explainer, metrics, and the /status and /ready views.
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Registry } from 'prom-client'
import { OperatorState, type HistoryEntry, type OperatorAction, type StateBackend } from './operator-state.js'
import { WorkerHealth, type AttemptEnd } from './worker-health.js'
import { EdgecoderMetrics } from './metrics.js'
import { peersByRole, roleOf, type PeerRole } from './peer-roles.js'
import { explainJob, type Decision, type Explanation } from './explain.js'
import { NotCoordinatorError } from './errors.js'
import type { OpsService } from './ops-service.js'
import { OpsNotice, type OpsNoticeAck } from '../wire/pb/ops.js'
import type { ClaimInfo, DispatchGate } from '../jobs/dispatch-gate.js'
import type { CoordinatorService } from '../jobs/coordinator/index.js'
import type { WorkerService } from '../jobs/worker/index.js'
import type { JobStore } from '../jobs/job-store.js'
import type { JobClient } from '../jobs/client.js'
import type { JobEvents } from '../jobs/events.js'
import type { JobRecord, JobState } from '../jobs/types.js'
import type { CoordinatorLedger } from '../ledger/coordinator-ledger.js'
import { TypedEmitter } from '../util/typed-emitter.js'
import { writeFileAtomic } from '../identity/data-dir.js'
import { STORES } from '../node/store-registry.js'
import { JobNotFoundError } from '../errors/index.js'
import type { Role } from '../identity/data-dir.js'

export interface OpsOptions {
  /** consecutive failed attempts that quarantine a worker (default 3) */
  quarantineAfter?: number
  /** first quarantine cooldown; doubles with each strike (default 60 s) */
  quarantineMs?: number
  /** a probe job not finished this long after it was queued is abandoned and retried (default 60 s) */
  probeTimeoutMs?: number
  /** a queued job nobody claimed this long is looked at by the stuck-job detector (default 120 s) */
  stuckQueuedMs?: number
  /** a job still leased this long past its own timeout is revoked (default 30 s) */
  stuckGraceMs?: number
  /** how often self-healing runs (default 500 ms) */
  tickMs?: number
  /** where edgecoder_* metrics go (the daemon shares it with libp2p's prometheus metrics) */
  registry?: Registry
}

export interface OpsEvents extends Record<string, unknown> {
  /** an operator action, a self-healing action, a worker's report or an expiry */
  'ops:action': HistoryEntry
  'ops:error': { msg: string, error: string, peer?: string, jobId?: string }
}

/** label of a probe job, followed by the quarantined worker's peer id */
const PROBE_LABEL = 'probe:'

export interface OpsAttachment {
  libp2p: Libp2p
  events: TypedEmitter<JobEvents>
  jobs: JobClient
  service: OpsService
  coordinator?: CoordinatorService
  worker?: WorkerService
  ledger?: CoordinatorLedger
  /** bootstrap peers configured: with any, "ready" needs a connection */
  bootstrapPeers: number
  /** enrolled nodes waiting for an admin's approval (coordinators in token admission) */
  awaitingApproval?: () => string[]
  /** the mesh's admin keys and coordinator grants, as this node sees them */
  authority?: AuthorityView
  /** workers and clients: this node's enrollment state at each granted coordinator it met */
  enrollment?: () => Record<string, { status: 'pending' | 'active' | 'rejected', reason: string }>
}

/** What status and readiness show of the mesh's authority (MeshAuthority implements it). */
export interface AuthorityView {
  readonly adminKeys: string[]
  coordinators: () => Array<{ peerId: string, state: string, label: string, until: number, by: string }>
  standing: (peer: string) => { granted: boolean, why: string }
}

const STATE_META_KEY = 'ops-state'
const STATE_FILE = STORES.opsState.name
const DECISIONS_PER_JOB = 20
const NOTICE_RETRY_MS = 10_000

export class NodeOps {
  readonly state: OperatorState
  readonly health = new WorkerHealth()
  readonly events = new TypedEmitter<OpsEvents>()
  readonly metrics: EdgecoderMetrics
  readonly gate: DispatchGate
  private readonly startedAt = Date.now()
  private a?: OpsAttachment
  private timer?: ReturnType<typeof setInterval>
  private readonly decisions = new Map<string, Decision[]>()
  private readonly assignedAt: number[] = []
  private readonly seenEnds = new Set<string>()
  private readonly lastNotice = new Map<string, number>()
  private readonly stuckActedAt = new Map<string, number>()
  private lastCheckpointAt?: number
  private lastRampKick = 0
  private ramping = false
  private ticking = false
  private stopped = false
  /** peers this worker drains for: told DRAINED once its running jobs finish */
  private readonly drainRequesters = new Set<string>()
  private readonly opt: Required<Omit<OpsOptions, 'registry'>>

  private constructor (readonly role: Role, readonly dataDir: string, backend: StateBackend, private readonly store: JobStore | undefined, opts: OpsOptions) {
    this.opt = {
      quarantineAfter: opts.quarantineAfter ?? 3,
      quarantineMs: opts.quarantineMs ?? 60_000,
      probeTimeoutMs: opts.probeTimeoutMs ?? 60_000,
      stuckQueuedMs: opts.stuckQueuedMs ?? 120_000,
      stuckGraceMs: opts.stuckGraceMs ?? 30_000,
      tickMs: opts.tickMs ?? 500
    }
    this.state = new OperatorState(backend, { onChange: e => { this.onChange(e) } })
    this.metrics = new EdgecoderMetrics({
      jobsByState: () => this.store?.countsByState(),
      queueDepth: () => this.a?.coordinator?.queueDepth(),
      ledger: () => this.ledgerView(),
      peersByRole: async () => this.a != null ? await peersByRole(this.a.libp2p) : { coordinator: [], worker: [], client: [], unknown: [] },
      operator: () => {
        const peers = Object.values(this.state.peers)
        return {
          paused: this.state.paused,
          draining: this.a?.worker?.isDraining ?? false,
          rampRatePerSec: this.state.ramp()?.ratePerSec,
          drainingPeers: peers.filter(p => p.drain != null).length,
          isolatedPeers: peers.filter(p => p.isolate != null).length,
          quarantinedPeers: peers.filter(p => p.quarantine != null).length
        }
      },
      workerRunning: () => this.a?.worker?.runningJobs.length
    }, opts.registry)
    this.gate = { admit: (w, c) => this.admit(w, c), refuses: w => this.refusal(w, true) != null, allows: (w, r) => this.allows(w, r), reserve: () => this.state.reserve() }
  }

  /** Opens the persisted operator state: a coordinator keeps it in its job store, others in a file. */
  static async open (o: { role: Role, dataDir: string, store?: JobStore, options?: OpsOptions }): Promise<NodeOps> {
    const store = o.store
    const file = join(o.dataDir, STATE_FILE)
    const backend: StateBackend = store != null
      ? { load: async () => await store.getMeta(STATE_META_KEY), save: async t => { await store.putMeta(STATE_META_KEY, t) } }
      : {
          load: async () => { try { return await readFile(file, 'utf8') } catch { return undefined } },
          save: async t => { await writeFileAtomic(file, t, 0o600) }
        }
    const ops = new NodeOps(o.role, o.dataDir, backend, store, o.options ?? {})
    await ops.state.load()
    return ops
  }

  /** Connects to the running node and starts self-healing. */
  attach (a: OpsAttachment): void {
    this.a = a
    a.service.handler = async (kind, from, reason) => await this.onNotice(kind, from, reason)
    if (this.state.paused) a.coordinator?.setPaused(true)
    const ev = a.events
    ev.on('job:assigned', d => { this.onAssigned(d.jobId, d.worker) })
    ev.on('job:requeued', d => { this.metrics.retries.inc(); void this.onAttemptEnded(d.jobId) })
    ev.on('job:failed', d => { void this.onAttemptEnded(d.jobId, 'failed') })
    ev.on('job:completed', d => { void this.onAttemptEnded(d.jobId, 'succeeded') })
    ev.on('job:cancelled', d => { void this.onAttemptEnded(d.jobId, 'cancelled') })
    ev.on('lease:expired', () => { this.metrics.leaseExpiries.inc() })
    ev.on('ledger:checkpoint', () => { this.lastCheckpointAt = Date.now() })
    this.timer = setInterval(() => { void this.tick() }, this.opt.tickMs)
    this.timer.unref?.()
  }

  stop (): void {
    this.stopped = true
    if (this.timer != null) clearInterval(this.timer)
  }

  /** Applies an operator action and carries out what it means on this node. */
  /** `issuedAt`: the signed action's issue time (see OperatorState.apply). */
  async apply (action: OperatorAction, issuedAt?: number): Promise<HistoryEntry> {
    if ((action.kind === 'pause' || action.kind === 'resume') && this.role !== 'coordinator') {
      throw new NotCoordinatorError(`${action.kind} applies to a coordinator's assignments; this node is a ${this.role}`)
    }
    return await this.state.apply(action, Date.now(), issuedAt)
  }

  // --- dispatch gate (called on every claim) ---

  private admit (worker: string, claim: ClaimInfo): string | undefined {
    this.health.claimed(worker, claim)
    const reason = this.refusal(worker, true)
    if (reason == null) return undefined
    this.health.refused(worker, reason)
    if (claim.jobId !== '') this.decide(claim.jobId, worker, reason)
    // a draining worker that claims did not get (or forgot, restarting) the notice: tell it again
    const p = this.state.peerState(worker)
    if (p?.drain != null && (this.lastNotice.get(worker) ?? 0) + NOTICE_RETRY_MS < Date.now()) void this.tellDrain(worker)
    return reason
  }

  /** Why a worker may not be given work now; undefined when it may. */
  private refusal (worker: string, withRamp: boolean, now = Date.now()): string | undefined {
    if (this.state.paused) return 'coordinator paused'
    const p = this.state.peerState(worker)
    if (p?.isolate != null && p.isolate.until > now) return `isolated until ${new Date(p.isolate.until).toISOString()}`
    if (p?.drain != null) return 'draining: no new work'
    if (p?.quarantine != null) {
      const probe = p.quarantine.probeJob
      if (probe == null || this.store?.live.get(probe)?.state !== 'queued') return `quarantined until ${new Date(p.quarantine.until).toISOString()}: ${p.quarantine.reason}`
    }
    return withRamp ? this.state.rampAllows(now) : undefined
  }

  private allows (worker: string, rec: JobRecord): boolean {
    const owner = this.probes().get(rec.id) ?? this.probeTarget(rec)
    if (owner != null && owner !== worker) { this.decide(rec.id, worker, `probe job pinned to ${owner}`); return false }
    if (owner == null && this.state.peerState(worker)?.quarantine != null) return false
    return true
  }

  private decide (jobId: string, worker: string, reason: string): void {
    let list = this.decisions.get(jobId)
    if (list == null) {
      if (this.store?.live.has(jobId) !== true) return
      list = []
      this.decisions.set(jobId, list)
    }
    const same = list.find(d => d.worker === worker && d.reason === reason)
    if (same != null) { same.count++; same.at = Date.now(); return }
    list.push({ at: Date.now(), worker, reason, count: 1 })
    if (list.length > DECISIONS_PER_JOB) list.shift()
  }

  /**
   * The worker a probe job is pinned to, known from the job itself: the probe is queued (and may be
   * offered to a waiting claim) before its id is recorded in the quarantine. Only jobs this node
   * submitted count, so a user's label cannot pin anything.
   */
  private probeTarget (rec: JobRecord): string | undefined {
    if (!rec.label.startsWith(PROBE_LABEL) || this.a == null || rec.owner !== this.a.libp2p.peerId.toString()) return undefined
    return rec.label.slice(PROBE_LABEL.length)
  }

  private probes (): Map<string, string> {
    const m = new Map<string, string>()
    for (const [peer, p] of Object.entries(this.state.peers)) if (p.quarantine?.probeJob != null) m.set(p.quarantine.probeJob, peer)
    return m
  }

  // --- job events ---

  private onAssigned (jobId: string, worker: string): void {
    const now = Date.now()
    this.health.assigned(worker)
    this.metrics.assignments.inc()
    this.assignedAt.push(now)
    while (this.assignedAt.length > 0 && this.assignedAt[0] < now - 60_000) this.assignedAt.shift()
    const rec = this.store?.live.get(jobId)
    if (rec != null) {
      // from the last time it entered the queue to this assignment
      const ts = rec.timestamps
      const queuedAt = [...ts].reverse().find(t => t.state === 'queued')?.at
      const readyAt = Math.max(queuedAt ?? rec.createdAt, Math.min(rec.notBefore, now))
      this.metrics.dispatchLatency.observe(Math.max(0, now - readyAt) / 1000)
    }
  }

  /** An attempt ended (or the job did): per-worker record, quarantine, probes, dead letters. */
  private async onAttemptEnded (jobId: string, terminal?: JobState): Promise<void> {
    const rec = await this.store?.get(jobId)
    if (rec == null) return
    if (terminal != null) this.decisions.delete(jobId)
    await this.onProbeEnded(rec)
    if (terminal === 'failed' && isDeadLetter(rec)) {
      this.metrics.deadLetters.inc()
      await this.state.note({ by: 'self-healing', action: 'dead-letter', jobId, detail: rec.reason })
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
    this.metrics.attemptEnds.inc({ outcome })
    const run = this.health.ended(a.worker, jobId, outcome, a.reason ?? '')
    const p = this.state.peerState(a.worker)
    if (outcome !== 'succeeded' && run >= this.opt.quarantineAfter && p?.quarantine == null && p?.isolate == null) {
      const rate = this.health.failureRate(a.worker) ?? 1
      this.metrics.healing.inc({ action: 'quarantine' })
      await this.state.quarantine(a.worker, this.opt.quarantineMs, `${run} failed attempts in a row (failure rate ${(rate * 100).toFixed(0)}%), last: ${a.reason ?? outcome}`)
    }
  }

  private async onProbeEnded (rec: JobRecord): Promise<void> {
    const peer = this.probes().get(rec.id)
    if (peer == null) return
    const q = this.state.peerState(peer)?.quarantine
    if (q == null) return
    if (rec.state === 'succeeded') {
      this.health.reset(peer)
      this.metrics.healing.inc({ action: 'probe-passed' })
      await this.state.release(peer, rec.id)
      this.a?.coordinator?.reannounce()
    } else if (rec.state === 'failed' || rec.state === 'cancelled') {
      this.metrics.healing.inc({ action: 'probe-failed' })
      await this.state.extend(peer, this.cooldown(q.strikes + 1), rec.id, `probe ${rec.state}: ${rec.reason}`)
    }
  }

  private cooldown (strikes: number): number {
    return Math.min(this.opt.quarantineMs * 2 ** Math.max(0, strikes - 1), 24 * 3600_000)
  }

  // --- side effects of state changes ---

  private onChange (e: HistoryEntry): void {
    this.events.emit('ops:action', e)
    const a = this.a
    if (a == null) return
    const c = a.coordinator
    switch (e.action) {
      case 'pause': c?.setPaused(true); break
      case 'resume': c?.setPaused(false); c?.reannounce(); break
      case 'resume-staged': c?.setPaused(false); this.ramping = true; this.lastRampKick = 0; break
      case 'drain': if (e.peer != null) void this.tellDrain(e.peer); break
      case 'isolate': if (e.peer != null) void this.cutOff(e.peer); break
      case 'return':
        if (e.peer != null) void this.tell(e.peer, OpsNotice.Kind.UNDRAIN, 'returned to service')
        c?.reannounce()
        break
      case 'isolation-ended': case 'release': c?.reannounce(); break
    }
  }

  private async tell (peer: string, kind: OpsNotice.Kind, reason: string): Promise<OpsNoticeAck | undefined> {
    const a = this.a
    if (a == null) return undefined
    this.lastNotice.set(peer, Date.now())
    try {
      return await a.service.send(peerIdFromString(peer), kind, reason)
    } catch (err) {
      this.events.emit('ops:error', { msg: `could not send ${kind} to ${peer}`, error: (err as Error).message, peer })
      return undefined
    }
  }

  private async tellDrain (peer: string): Promise<void> {
    const ack = await this.tell(peer, OpsNotice.Kind.DRAIN, 'drained by the coordinator operator')
    if (ack?.draining === true && ack.running === 0) await this.state.markDrained(peer)
  }

  /** Isolation: hang up, and end its live attempts here so the jobs go elsewhere now. */
  private async cutOff (peer: string): Promise<void> {
    const a = this.a
    if (a == null) return
    try { await a.libp2p.hangUp(peerIdFromString(peer)) } catch (err) { this.events.emit('ops:error', { msg: 'hang up failed', error: (err as Error).message, peer }) }
    if (a.coordinator == null || this.store == null) return
    for (const rec of [...this.store.live.values()]) {
      if (rec.lease?.worker !== peer) continue
      if (await a.coordinator.revokeAttempt(rec.id, rec.lease.attempt, 'worker isolated by the operator')) {
        await this.state.note({ by: 'operator', action: 'revoke', peer, jobId: rec.id, detail: 'attempt ended: worker isolated; job requeued' })
      }
    }
  }

  /** Notices from other nodes: a coordinator draining this worker, or a worker saying it drained. */
  private async onNotice (kind: OpsNotice.Kind, from: PeerId, reason: string): Promise<OpsNoticeAck> {
    const w = this.a?.worker
    const remote = from.toString()
    if (kind === OpsNotice.Kind.DRAINED) {
      if (await this.state.markDrained(remote)) this.metrics.healing.inc({ action: 'drained' })
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
        this.events.emit('ops:action', { at: Date.now(), by: 'operator', action: 'undrain', peer: remote, detail: `back in service (${reason})` })
      }
      return { running: w.runningJobs.length, draining: w.isDraining }
    }
    const first = this.drainRequesters.size === 0
    this.drainRequesters.add(remote)
    if (first || !w.isDraining) {
      this.events.emit('ops:action', { at: Date.now(), by: 'operator', action: 'draining', peer: remote, detail: `no new work; ${w.runningJobs.length} running (${reason})` })
      void w.drain().then(async () => {
        if (!w.isDraining) return
        this.events.emit('ops:action', { at: Date.now(), by: 'worker', action: 'drained', detail: 'every running job finished' })
        for (const c of this.drainRequesters) await this.tell(c, OpsNotice.Kind.DRAINED, 'running jobs finished')
      })
    }
    return { running: w.runningJobs.length, draining: true }
  }

  // --- self-healing loop ---

  private async tick (): Promise<void> {
    if (this.ticking || this.stopped || this.a == null) return
    this.ticking = true
    try {
      await this.state.expire()
      const c = this.a.coordinator
      if (c != null && this.store != null) {
        this.kickRamp(c)
        await this.runProbes(c)
        await this.detectStuck(c)
      }
    } catch (err) {
      this.events.emit('ops:error', { msg: 'self-healing tick failed', error: (err as Error).message })
    } finally {
      this.ticking = false
    }
  }

  /** During a staged ramp, idle workers only hear of work from announcements: keep some coming. */
  private kickRamp (c: CoordinatorService): void {
    const now = Date.now()
    const r = this.state.ramp(now)
    if (r == null) {
      if (this.ramping) { this.ramping = false; c.reannounce() }
      return
    }
    this.ramping = true
    if (now - this.lastRampKick < 1_000 || c.queueDepth() === 0) return
    this.lastRampKick = now
    c.reannounce(Math.max(1, Math.ceil(r.ratePerSec)))
  }

  private async runProbes (c: CoordinatorService): Promise<void> {
    const now = Date.now()
    const a = this.a as OpsAttachment
    for (const [peer, p] of Object.entries(this.state.peers)) {
      const q = p.quarantine
      if (q == null || q.until > now) continue
      if (q.probeJob == null) {
        if (a.libp2p.getConnections(peerIdFromString(peer)).length === 0) continue
        try {
          const id = await a.jobs.submit({ executor: 'noop', input: `probe ${peer} ${now}`, label: `${PROBE_LABEL}${peer}`, maxAttempts: 1, timeoutMs: 30_000 })
          this.metrics.healing.inc({ action: 'probe' })
          await this.state.setProbe(peer, id)
          c.reannounce(1, [id])
        } catch (err) {
          this.events.emit('ops:error', { msg: 'probe job not queued', error: (err as Error).message, peer })
        }
        continue
      }
      const rec = this.store?.live.get(q.probeJob)
      if (rec?.state === 'queued' && now - rec.createdAt > this.opt.probeTimeoutMs) {
        // nobody ran it: drop it and try again after another cooldown
        await c.cancel(rec.id).catch(() => {})
      }
    }
  }

  private async detectStuck (c: CoordinatorService): Promise<void> {
    const now = Date.now()
    const store = this.store as JobStore
    for (const rec of [...store.live.values()]) {
      const last = this.stuckActedAt.get(rec.id) ?? 0
      if (rec.lease != null && (rec.state === 'assigned' || rec.state === 'running')) {
        const a = rec.attempts[rec.attempts.length - 1]
        const over = now - (a?.assignedAt ?? now) - rec.timeoutMs
        if (over > this.opt.stuckGraceMs) {
          const reason = `stuck: still leased ${Math.round(over / 1000)} s past its ${rec.timeoutMs} ms timeout`
          const worker = rec.lease.worker
          if (await c.revokeAttempt(rec.id, rec.lease.attempt, reason)) {
            this.metrics.healing.inc({ action: 'stuck-revoked' })
            await this.state.note({ by: 'self-healing', action: 'stuck-revoked', jobId: rec.id, peer: worker, detail: `${reason}; attempt ended, job retried or failed` })
          }
        }
        continue
      }
      if (rec.state !== 'queued' || this.state.paused || rec.notBefore > now || now - last < this.opt.stuckQueuedMs) continue
      const queuedAt = [...rec.timestamps].reverse().find(t => t.state === 'queued')?.at ?? rec.createdAt
      if (now - Math.max(queuedAt, rec.notBefore) < this.opt.stuckQueuedMs) continue
      this.stuckActedAt.set(rec.id, now)
      const e = await this.explain(rec.id)
      const why = e.workers.length === 0 ? 'no worker known' : e.workers.filter(w => w.verdict === 'eligible').length > 0 ? 'eligible workers did not claim' : 'no eligible worker'
      c.reannounce(Infinity, [rec.id])
      this.metrics.healing.inc({ action: 'stuck-reannounced' })
      await this.state.note({ by: 'self-healing', action: 'stuck-reannounced', jobId: rec.id, detail: `queued ${Math.round((now - queuedAt) / 1000)} s unclaimed (${why}); announced again to every worker` })
    }
    for (const id of this.stuckActedAt.keys()) if (!store.live.has(id)) this.stuckActedAt.delete(id)
  }

  // --- views ---

  private ledgerView (): { height: number, checkpointSize: number, checkpointAgeSec?: number } | undefined {
    const l = this.a?.ledger
    if (l == null) return undefined
    return { height: l.size, checkpointSize: l.checkpointSize, ...(this.lastCheckpointAt != null ? { checkpointAgeSec: (Date.now() - this.lastCheckpointAt) / 1000 } : {}) }
  }

  async explain (jobId: string): Promise<Explanation> {
    const a = this.a
    if (a?.coordinator == null || this.store == null) throw new NotCoordinatorError('jobs explain runs on the coordinator that holds the job')
    const rec = await this.store.get(jobId)
    if (rec == null) throw new JobNotFoundError(`no job ${jobId} at this coordinator`)
    const byRole = await peersByRole(a.libp2p)
    const leasesByWorker = new Map<string, number>()
    for (const r of this.store.live.values()) if (r.lease != null) leasesByWorker.set(r.lease.worker, (leasesByWorker.get(r.lease.worker) ?? 0) + 1)
    return explainJob(rec, {
      now: Date.now(),
      paused: this.state.paused,
      state: this.state,
      health: this.health,
      connectedWorkers: new Set(byRole.worker),
      probes: this.probes(),
      leasesByWorker,
      decisions: this.decisions.get(jobId) ?? []
    })
  }

  /** Failed jobs that used every attempt without a program result, newest first. */
  async deadLetters (limit = 100): Promise<Array<{ id: string, reason: string, failedAt: string, attempts: Array<{ attempt: number, worker: string, outcome: string, reason: string }> }>> {
    if (this.store == null) throw new NotCoordinatorError('dead letters are kept by coordinators')
    const failed = await this.store.list({ state: 'failed', limit: 100_000 })
    return failed.filter(isDeadLetter).reverse().slice(0, limit).map(r => ({
      id: r.id,
      reason: r.reason,
      failedAt: new Date(r.updatedAt).toISOString(),
      attempts: r.attempts.map(x => ({ attempt: x.attempt, worker: x.worker, outcome: x.outcome, reason: x.reason ?? '' }))
    }))
  }

  /** Every peer this node holds operator state or a track record about. */
  async nodes (): Promise<Array<Record<string, unknown>>> {
    const a = this.a
    const ids = new Set([...Object.keys(this.state.peers), ...this.health.all().map(w => w.peer)])
    if (a != null) for (const c of a.libp2p.getConnections()) ids.add(c.remotePeer.toString())
    const out: Array<Record<string, unknown>> = []
    for (const id of ids) {
      const pid = peerIdFromString(id)
      const connected = a != null && a.libp2p.getConnections(pid).length > 0
      const role: PeerRole = a != null ? await roleOf(a.libp2p, pid) : 'unknown'
      const op = this.state.peerState(id)
      const w = this.health.get(id)
      const leases = this.store != null ? [...this.store.live.values()].filter(r => r.lease?.worker === id).length : 0
      out.push({
        peerId: id,
        role,
        connected,
        status: peerStatus(op, Date.now()),
        ...(op != null ? { operator: op } : {}),
        runningHere: leases,
        // a peer that says it is a coordinator: whether this node accepts it, and why
        ...(role === 'coordinator' && a?.authority != null ? { grant: a.authority.standing(id) } : {}),
        ...(w != null ? { assigned: w.assigned, succeeded: w.succeeded, failed: w.failed, leaseExpired: w.leaseExpired, consecutiveFailures: w.consecutiveFailures, failureRate: this.health.failureRate(id) ?? null, lastClaimAt: w.lastClaim != null ? new Date(w.lastClaim.at).toISOString() : null, lastRefusal: w.lastRefusal?.reason ?? null } : {})
      })
    }
    return out.sort((x, y) => String(x.peerId).localeCompare(String(y.peerId)))
  }

  async status (): Promise<Record<string, unknown>> {
    const a = this.a
    const now = Date.now()
    const byRole = a != null ? await peersByRole(a.libp2p) : { coordinator: [], worker: [], client: [], unknown: [] }
    while (this.assignedAt.length > 0 && this.assignedAt[0] < now - 60_000) this.assignedAt.shift()
    const out: Record<string, unknown> = {
      role: this.role,
      peerId: a?.libp2p.peerId.toString(),
      uptimeSec: Math.round((now - this.startedAt) / 1000),
      peers: Object.fromEntries(Object.entries(byRole).map(([k, v]) => [k, v.length])),
      paused: this.state.paused,
      draining: this.a?.worker?.isDraining ?? false,
      ramp: this.state.ramp(now) ?? null
    }
    if (a?.coordinator != null && this.store != null) {
      const active: string[] = []
      const pending: string[] = []
      for (const w of byRole.worker) {
        // in service: has claimed here and nothing bars it; pending: connected but not (yet) in service
        if (this.health.get(w)?.lastClaim != null && this.refusal(w, false, now) == null) active.push(w)
        else pending.push(w)
      }
      let ended = 0
      let failedN = 0
      const byWorker: Record<string, number> = {}
      for (const w of this.health.all()) {
        ended += w.recent.length
        failedN += w.recent.filter(Boolean).length
        const r = this.health.failureRate(w.peer)
        if (r != null) byWorker[w.peer] = round(r)
      }
      Object.assign(out, {
        queue: this.store.countsByState(),
        queueDepth: a.coordinator.queueDepth(),
        // pending: connected but not in service (which includes enrolled nodes not yet approved)
        workers: { active, pending, awaitingApproval: a.awaitingApproval?.() ?? [] },
        assignmentRatePerSec: round(this.assignedAt.length / Math.min(60, Math.max(1, (now - this.startedAt) / 1000))),
        failureRates: { overall: ended > 0 ? round(failedN / ended) : null, byWorker },
        ledger: this.ledgerView() != null ? { ...this.ledgerView(), lastCheckpointAgeSec: this.ledgerView()?.checkpointAgeSec ?? null, appendsHeld: a.ledger?.appendsHeld ?? null } : null,
        operator: {
          draining: Object.entries(this.state.peers).filter(([, p]) => p.drain != null).map(([k, p]) => ({ peer: k, drained: p.drain?.drainedAt != null })),
          isolated: Object.entries(this.state.peers).filter(([, p]) => p.isolate != null).map(([k, p]) => ({ peer: k, until: new Date(p.isolate?.until ?? 0).toISOString() })),
          quarantined: Object.entries(this.state.peers).filter(([, p]) => p.quarantine != null).map(([k, p]) => ({ peer: k, until: new Date(p.quarantine?.until ?? 0).toISOString(), reason: p.quarantine?.reason }))
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
        ...(this.role === 'coordinator' ? { self: a.authority.standing(self) } : {})
      }
    }
    return out
  }

  /** Ready: libp2p started, stores answering, and joined (a connection when bootstrap peers are set). */
  async ready (): Promise<{ ready: boolean, reasons: string[] }> {
    const reasons: string[] = []
    const a = this.a
    if (a == null || this.stopped) return { ready: false, reasons: ['node not started'] }
    if (a.libp2p.status !== 'started') reasons.push(`libp2p ${a.libp2p.status}`)
    try {
      await this.store?.getMeta('ready-probe')
      if (a.ledger != null) await a.ledger.noteAt(0)
    } catch (err) {
      reasons.push(`storage not open: ${(err as Error).message}`)
    }
    if (a.bootstrapPeers > 0 && a.libp2p.getConnections().length === 0) reasons.push('not connected to any peer yet')
    if (a.authority != null && a.authority.adminKeys.length === 0 && this.role !== 'coordinator') reasons.push('no admin key of the mesh is known: no coordinator is accepted (start with the mesh\'s bootstrap file)')
    else if (a.worker != null && a.worker.coordinators.size === 0) reasons.push(a.worker.ungranted.size > 0 ? `no granted coordinator found yet (${a.worker.ungranted.size} ungranted peer(s) offer work)` : 'no coordinator found yet')
    if (a.worker != null && a.enrollment != null && a.worker.coordinators.size > 0) {
      const at = Object.entries(a.enrollment())
      if (!at.some(([, e]) => e.status === 'active')) reasons.push(`not admitted by any coordinator${at.length > 0 ? `: ${at.map(([c, e]) => `${c} ${e.status}${e.reason !== '' ? ` (${e.reason})` : ''}`).join('; ')}` : ' yet'}`)
    }
    if (a.ledger?.appendsHeld != null) reasons.push(`ledger appends held: ${a.ledger.appendsHeld}`)
    if (a.coordinator != null && a.authority != null && !a.coordinator.isGranted) reasons.push(`not a granted coordinator: ${a.authority.standing(a.libp2p.peerId.toString()).why}`)
    return { ready: reasons.length === 0, reasons }
  }

  get live (): boolean { return !this.stopped }
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
