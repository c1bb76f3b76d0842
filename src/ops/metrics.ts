// edgecoder_* metrics in a per-node prom-client registry. The daemon hands the same registry to
// libp2p's prometheus metrics, so one /metrics page carries both. Gauges read live state when
// scraped; counters and the dispatch histogram are fed by job events.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { JOB_STATES, type JobState } from '../jobs/types.js'
import { PEER_ROLES, type PeerRole } from './peer-roles.js'
import { normaliseExposition } from './exposition.js'

/** What the gauges read at scrape time. */
export interface MetricsSource {
  jobsByState (): Record<JobState, number> | undefined
  queueDepth (): number | undefined
  ledger (): { height: number, checkpointSize: number, checkpointAgeSec?: number } | undefined
  peersByRole (): Promise<Record<PeerRole, string[]>>
  operator (): { paused: boolean, draining: boolean, rampRatePerSec?: number, drainingPeers: number, isolatedPeers: number, quarantinedPeers: number }
  workerRunning (): number | undefined
}

export class EdgecoderMetrics {
  readonly registry: Registry
  readonly dispatchLatency: Histogram
  readonly assignments: Counter
  readonly leaseExpiries: Counter
  readonly retries: Counter
  readonly deadLetters: Counter
  readonly attemptEnds: Counter<'outcome'>
  readonly healing: Counter<'action'>

  constructor (source: MetricsSource, registry = new Registry()) {
    this.registry = registry
    const registers = [registry]
    new Gauge({
      name: 'edgecoder_jobs',
      help: 'Jobs held by this coordinator, by state',
      labelNames: ['state'],
      registers,
      collect () {
        const c = source.jobsByState()
        if (c == null) return
        for (const s of JOB_STATES) this.set({ state: s }, c[s])
      }
    })
    new Gauge({
      name: 'edgecoder_queue_depth',
      help: 'Queued jobs waiting for a worker',
      registers,
      collect () { const q = source.queueDepth(); if (q != null) this.set(q) }
    })
    this.dispatchLatency = new Histogram({
      name: 'edgecoder_dispatch_latency_seconds',
      help: 'Time from a job (re)entering the queue to its assignment',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers
    })
    this.assignments = new Counter({ name: 'edgecoder_assignments_total', help: 'Assignments made by this coordinator', registers })
    this.leaseExpiries = new Counter({ name: 'edgecoder_lease_expiries_total', help: 'Attempts ended because the worker stopped renewing its lease', registers })
    this.retries = new Counter({ name: 'edgecoder_job_retries_total', help: 'Jobs put back in the queue for another attempt', registers })
    this.deadLetters = new Counter({ name: 'edgecoder_dead_letters_total', help: 'Jobs that failed for good after using every attempt', registers })
    this.attemptEnds = new Counter({ name: 'edgecoder_attempts_ended_total', help: 'Attempts ended, by outcome', labelNames: ['outcome'], registers })
    this.healing = new Counter({ name: 'edgecoder_self_healing_actions_total', help: 'Actions taken by self-healing (quarantine, probe, stuck-job)', labelNames: ['action'], registers })
    new Gauge({
      name: 'edgecoder_ledger_height',
      help: 'Entries in this coordinator\'s credit log',
      registers,
      collect () { const l = source.ledger(); if (l != null) this.set(l.height) }
    })
    new Gauge({
      name: 'edgecoder_ledger_checkpoint_size',
      help: 'Tree size of the newest signed checkpoint',
      registers,
      collect () { const l = source.ledger(); if (l != null) this.set(l.checkpointSize) }
    })
    new Gauge({
      name: 'edgecoder_ledger_checkpoint_age_seconds',
      help: 'Seconds since the newest checkpoint was signed in this run (absent before the first)',
      registers,
      collect () { const a = source.ledger()?.checkpointAgeSec; if (a != null) this.set(a) }
    })
    new Gauge({
      name: 'edgecoder_peers',
      help: 'Connected peers, by role',
      labelNames: ['role'],
      registers,
      async collect () {
        const by = await source.peersByRole()
        for (const r of PEER_ROLES) this.set({ role: r }, by[r].length)
      }
    })
    new Gauge({
      name: 'edgecoder_paused',
      help: '1 when new assignments are paused',
      registers,
      collect () { this.set(source.operator().paused ? 1 : 0) }
    })
    new Gauge({
      name: 'edgecoder_assignment_rate_limit',
      help: 'Assignments per second allowed by a staged resume (absent when unrestricted)',
      registers,
      collect () { const r = source.operator().rampRatePerSec; if (r != null) this.set(r) }
    })
    new Gauge({
      name: 'edgecoder_operator_peers',
      help: 'Peers under an operator or self-healing restriction, by kind',
      labelNames: ['kind'],
      registers,
      collect () {
        const o = source.operator()
        this.set({ kind: 'draining' }, o.drainingPeers)
        this.set({ kind: 'isolated' }, o.isolatedPeers)
        this.set({ kind: 'quarantined' }, o.quarantinedPeers)
      }
    })
    new Gauge({
      name: 'edgecoder_worker_draining',
      help: '1 when this worker takes no new work',
      registers,
      collect () { this.set(source.operator().draining ? 1 : 0) }
    })
    new Gauge({
      name: 'edgecoder_worker_running_jobs',
      help: 'Jobs this worker is running',
      registers,
      collect () { const r = source.workerRunning(); if (r != null) this.set(r) }
    })
  }

  async text (): Promise<{ contentType: string, body: string }> {
    return { contentType: this.registry.contentType, body: normaliseExposition(await this.registry.metrics()) }
  }
}
