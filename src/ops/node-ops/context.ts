// What the parts of a node's operations share: the thresholds, the operator state, worker health,
// metrics and events they all act on, and the running node's parts once NodeOps is attached.
import type { Libp2p } from '@libp2p/interface'
import type { Registry } from 'prom-client'
import type { OperatorState, HistoryEntry } from '../operator-state.js'
import type { WorkerHealth } from '../worker-health.js'
import type { EdgecoderMetrics } from '../metrics.js'
import type { OpsService } from '../ops-service.js'
import type { CoordinatorService } from '../../jobs/coordinator/index.js'
import type { WorkerService } from '../../jobs/worker/index.js'
import type { JobStore } from '../../jobs/job-store.js'
import type { JobClient } from '../../jobs/client.js'
import type { JobEvents } from '../../jobs/events.js'
import type { CoordinatorLedger } from '../../ledger/coordinator-ledger.js'
import type { TypedEmitter } from '../../util/typed-emitter.js'
import type { Role } from '../../identity/data-dir.js'

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

/** The thresholds with their defaults filled in. */
export type OpsThresholds = Required<Omit<OpsOptions, 'registry'>>

export function thresholds (opts: OpsOptions): OpsThresholds {
  return {
    quarantineAfter: opts.quarantineAfter ?? 3,
    quarantineMs: opts.quarantineMs ?? 60_000,
    probeTimeoutMs: opts.probeTimeoutMs ?? 60_000,
    stuckQueuedMs: opts.stuckQueuedMs ?? 120_000,
    stuckGraceMs: opts.stuckGraceMs ?? 30_000,
    tickMs: opts.tickMs ?? 500
  }
}

export interface OpsEvents extends Record<string, unknown> {
  /** an operator action, a self-healing action, a worker's report or an expiry */
  'ops:action': HistoryEntry
  'ops:error': { msg: string, error: string, peer?: string, jobId?: string }
}

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

/** Shared by the parts of NodeOps: `node` is set when it is attached, `stopped` when it stops. */
export interface OpsContext {
  readonly role: Role
  readonly options: OpsThresholds
  readonly state: OperatorState
  readonly health: WorkerHealth
  readonly metrics: EdgecoderMetrics
  readonly events: TypedEmitter<OpsEvents>
  /** a coordinator's job store; other roles have none */
  readonly store?: JobStore
  node?: OpsAttachment
  stopped: boolean
}
