// The coordinator: keeps the durable job queue, announces jobs on gossip, answers claims with
// signed assignments, tracks leases, accepts signed results only from the live assignee, and
// serves submissions, status, results and cancels to job owners. This file is its public face and
// its lifecycle; each concern lives in its own file beside it.
import { serviceCapabilities, serviceDependencies, type Startable } from '@libp2p/interface'
import { Protocols } from '../../wire/domains.js'
import type { SignedEnvelope } from '../../wire/pb/envelope.js'
import type { JobStatus } from '../../wire/pb/jobs.js'
import type { JobStore } from '../job-store.js'
import type { JobRecord, JobState } from '../types.js'
import { CoordinatorContext } from './context.js'
import { Announcer } from './announce.js'
import { Provider } from './provide.js'
import { Submissions } from './submit.js'
import { Dispatcher } from './dispatch.js'
import { Cancellation } from './cancel.js'
import { Leases } from './leases.js'
import { Results } from './results.js'
import { Settlement } from './settlement.js'
import { Queries } from './queries.js'
import { Maintenance } from './maintenance.js'
import type { CoordinatorComponents, CoordinatorInit } from './init.js'

export type { CoordinatorComponents, CoordinatorInit } from './init.js'

/** What the rest of the node (job client, operations, control API) asks of a coordinator. */
export interface CoordinatorService {
  /** every job this coordinator holds */
  readonly store: JobStore
  /** whether this coordinator holds a grant from the mesh's admins (work is given only then) */
  readonly isGranted: boolean
  readonly isPaused: boolean
  /** claims waiting on session streams for work (idle worker slots ready to take a job at once) */
  readonly waitingClaims: number
  queueDepth: () => number
  /** Accepts a signed job spec; returns the job id. Idempotent for the same envelope. */
  submit: (env: SignedEnvelope) => Promise<string>
  status: (jobId: string, withResult?: boolean) => Promise<JobStatus>
  /** Jobs as owners see them (a job whose settlement is not yet durable shows its previous state). */
  list: (opts?: { state?: JobState, limit?: number }) => Promise<JobStatus[]>
  cancel: (jobId: string) => Promise<JobRecord>
  /** A paused coordinator gives no work; resuming wakes every waiting claim. */
  setPaused: (paused: boolean) => void
  /** Announces up to `limit` queued jobs again from round 0 (after a resume, or to unstick them). */
  reannounce: (limit?: number, ids?: Iterable<string>) => number
  /**
   * Ends a job's live attempt as failed (an isolated worker, a job stuck past its timeout): the job
   * is retried like any failed attempt, and the worker is told to stop. Returns false when the
   * attempt is no longer live.
   */
  revokeAttempt: (jobId: string, attempt: number, reason: string) => Promise<boolean>
  /** The mesh's grants changed: work is given, or no longer given, accordingly. */
  authorityChanged: () => void
  /** After a restored ledger caught up: closes jobs the log shows settled; returns how many. */
  reconcileLedger: () => Promise<number>
}

class Coordinator implements CoordinatorService, Startable {
  readonly [Symbol.toStringTag] = 'edgecoder/coordinator'
  readonly [serviceCapabilities] = ['@edgecoder/coordinator']
  readonly [serviceDependencies] = ['@libp2p/identify', '@libp2p/kad-dht']

  private readonly ctx: CoordinatorContext
  private readonly announcer: Announcer
  private readonly provider: Provider
  private readonly submissions: Submissions
  private readonly dispatcher: Dispatcher
  private readonly cancellation: Cancellation
  private readonly leases: Leases
  private readonly results: Results
  private readonly settlement: Settlement
  private readonly queries: Queries
  private readonly maintenance: Maintenance
  private wasGranted = false

  constructor (components: CoordinatorComponents, init: CoordinatorInit) {
    const ctx = this.ctx = new CoordinatorContext(components, init)
    this.announcer = new Announcer(ctx)
    this.provider = new Provider(ctx)
    this.submissions = new Submissions(ctx, this.announcer)
    this.dispatcher = new Dispatcher(ctx)
    this.cancellation = new Cancellation(ctx)
    this.leases = new Leases(ctx, this.cancellation)
    this.results = new Results(ctx, this.leases, this.dispatcher)
    this.settlement = new Settlement(ctx)
    this.queries = new Queries(ctx, this.cancellation)
    this.maintenance = new Maintenance(ctx, this.leases, this.announcer)
  }

  get store (): JobStore { return this.ctx.store }
  get isGranted (): boolean { return this.ctx.isGranted }
  get isPaused (): boolean { return this.ctx.paused }
  get waitingClaims (): number { return this.ctx.parked.size }
  queueDepth (): number { return this.ctx.queued.size }

  async start (): Promise<void> {
    const { ctx } = this
    for (const rec of ctx.store.live.values()) {
      if (rec.state === 'queued') ctx.queued.add(rec.id)
      if (rec.price != null) ctx.init.ledger?.hold(rec.id, rec.owner, BigInt(rec.price))
    }
    // a crash between accepting a result and settling it: settle now (settle is exactly-once);
    // a restored ledger holding its appends does it once it has caught up (reconcileLedger)
    if (ctx.init.ledger?.appendsHeld == null) await this.settlement.settleFinished()
    // a worker's claims, lease renewals and results also travel on its session stream (rpc/session.ts)
    await ctx.rpc.register({ protocol: Protocols.claim, handle: async (req, rpc) => await this.dispatcher.handleClaim(req, rpc) })
    await ctx.rpc.register({ protocol: Protocols.lease, handle: async (req, rpc) => await this.leases.handleLease(req, rpc.remotePeer) })
    await ctx.rpc.register({ protocol: Protocols.result, handle: async (req, rpc) => await this.results.handleResult(req, rpc.remotePeer) })
    await ctx.rpc.register({ protocol: Protocols.submit, handle: async (req) => new TextEncoder().encode(await this.submit(req)) })
    await ctx.rpc.register({ protocol: Protocols.job, handle: async (req, rpc) => await this.queries.handleJobQuery(req, rpc.remotePeer) })
    this.maintenance.start()
    ctx.started = true
  }

  /** Joins the jobs topic and provides the DHT record once every service is up. */
  afterStart (): void {
    // pubsub starts alongside us: subscribe only once every service is up
    this.announcer.join()
    this.wasGranted = this.ctx.isGranted
    if (!this.wasGranted) this.ctx.log('no coordinator grant: giving no work until a mesh admin grants this node')
    this.provider.start()
    // announce whatever survived a restart so idle workers hear of it
    this.announcer.announceQueued()
  }

  beforeStop (): void {
    const { ctx } = this
    ctx.started = false
    ctx.abort.abort()
    this.maintenance.stop()
    this.provider.stop()
    ctx.parked.wakeAll()
    // leaves while pubsub still runs (it refuses to unsubscribe once stopped)
    this.announcer.leave()
  }

  async stop (): Promise<void> {
    this.beforeStop()
    await this.ctx.rpc.unregisterAll()
  }

  setPaused (paused: boolean): void {
    this.ctx.paused = paused
    if (!paused) this.ctx.parked.wakeAll()
  }

  /**
   * On gaining our grant, announce what is queued and provide the DHT record; on losing it, answer
   * every waiting claim (they are refused from now on).
   */
  authorityChanged (): void {
    const { ctx } = this
    if (!ctx.started) return
    const granted = ctx.isGranted
    if (granted === this.wasGranted) return
    this.wasGranted = granted
    ctx.log('coordinator grant %s', granted ? 'held: giving work' : 'not held: giving no work')
    if (!granted) { ctx.parked.wakeAll(); return }
    this.announcer.reannounce()
    this.provider.restart()
  }

  async submit (env: SignedEnvelope): Promise<string> { return await this.submissions.submit(env) }
  async status (jobId: string, withResult = false): Promise<JobStatus> { return await this.queries.status(jobId, withResult) }
  async list (opts: { state?: JobState, limit?: number } = {}): Promise<JobStatus[]> { return await this.queries.list(opts) }
  async cancel (jobId: string): Promise<JobRecord> { return await this.cancellation.cancel(jobId) }
  reannounce (limit = Infinity, ids?: Iterable<string>): number { return this.announcer.reannounce(limit, ids) }
  async revokeAttempt (jobId: string, attempt: number, reason: string): Promise<boolean> { return await this.leases.revokeAttempt(jobId, attempt, reason) }
  async reconcileLedger (): Promise<number> { return await this.settlement.reconcileLedger() }
}

export function coordinatorService (init: CoordinatorInit): (components: CoordinatorComponents) => CoordinatorService {
  return (components) => new Coordinator(components, init)
}
