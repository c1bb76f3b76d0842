// The operations side of one node, wired to its parts: operator state and what its actions do
// (operator-effects.ts), the dispatch gate every claim passes (dispatch-gate.ts), self-healing on a
// coordinator (self-healing.ts), and the status, readiness and metrics views (status-views.ts).
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { OperatorState, type HistoryEntry, type OperatorAction, type StateBackend } from '../operator-state.js'
import { WorkerHealth } from '../worker-health.js'
import { EdgecoderMetrics } from '../metrics.js'
import { peersByRole } from '../peer-roles.js'
import type { Explanation } from '../explain.js'
import { NotCoordinatorError } from '../../errors/index.js'
import type { JobStore } from '../../jobs/job-store.js'
import type { DispatchGate } from '../../jobs/dispatch-gate.js'
import { TypedEmitter } from '../../util/typed-emitter.js'
import { writeFileAtomic, type Role } from '../../identity/data-dir.js'
import { STORES } from '../../identity/store-registry.js'
import { thresholds, type OpsAttachment, type OpsContext, type OpsEvents, type OpsOptions } from './context.js'
import { OperatorGate } from './dispatch-gate.js'
import { OperatorEffects } from './operator-effects.js'
import { SelfHealing } from './self-healing.js'
import { StatusViews, type DeadLetter } from './status-views.js'

export type { OpsOptions, OpsEvents, OpsAttachment, AuthorityView } from './context.js'
export { isDeadLetter, type DeadLetter } from './status-views.js'

const STATE_META_KEY = 'ops-state'
const STATE_FILE = STORES.opsState.name

export class NodeOps {
  readonly state: OperatorState
  readonly health = new WorkerHealth()
  readonly events = new TypedEmitter<OpsEvents>()
  readonly metrics: EdgecoderMetrics
  /** what the coordinator asks on every claim */
  readonly gate: DispatchGate
  private readonly ctx: OpsContext
  private readonly effects: OperatorEffects
  private readonly healing: SelfHealing
  private readonly views: StatusViews

  private constructor (readonly role: Role, readonly dataDir: string, backend: StateBackend, store: JobStore | undefined, opts: OpsOptions) {
    this.state = new OperatorState(backend, { onChange: e => { this.effects.onChange(e) } })
    this.metrics = new EdgecoderMetrics({
      jobsByState: () => store?.countsByState(),
      queueDepth: () => this.ctx.node?.coordinator?.queueDepth(),
      ledger: () => this.views.ledger(),
      peersByRole: async () => this.ctx.node != null ? await peersByRole(this.ctx.node.libp2p) : { coordinator: [], worker: [], client: [], unknown: [] },
      operator: () => this.views.operator(),
      workerRunning: () => this.ctx.node?.worker?.runningJobs.length
    }, opts.registry)
    this.ctx = { role, options: thresholds(opts), state: this.state, health: this.health, metrics: this.metrics, events: this.events, store, stopped: false }
    this.effects = new OperatorEffects(this.ctx, () => { this.healing.rampStarted() })
    const gate = new OperatorGate(this.ctx, worker => { this.effects.remindDrain(worker) })
    this.gate = gate
    this.views = new StatusViews(this.ctx, gate)
    this.healing = new SelfHealing(this.ctx, gate, async jobId => await this.views.explain(jobId))
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
    this.ctx.node = a
    a.service.handler = async (kind, from, reason) => await this.effects.onNotice(kind, from, reason)
    if (this.state.paused) a.coordinator?.setPaused(true)
    const ev = a.events
    ev.on('job:assigned', d => { this.views.assigned(d.jobId, d.worker) })
    ev.on('job:requeued', d => { this.metrics.retries.inc(); void this.healing.attemptEnded(d.jobId) })
    ev.on('job:failed', d => { void this.healing.attemptEnded(d.jobId, 'failed') })
    ev.on('job:completed', d => { void this.healing.attemptEnded(d.jobId, 'succeeded') })
    ev.on('job:cancelled', d => { void this.healing.attemptEnded(d.jobId, 'cancelled') })
    ev.on('lease:expired', () => { this.metrics.leaseExpiries.inc() })
    ev.on('ledger:checkpoint', () => { this.views.checkpointSigned() })
    this.healing.start()
  }

  stop (): void {
    this.ctx.stopped = true
    this.healing.stop()
  }

  /**
   * Applies an operator action and carries out what it means on this node.
   * `issuedAt`: the signed action's issue time (see OperatorState.apply).
   */
  async apply (action: OperatorAction, issuedAt?: number): Promise<HistoryEntry> {
    if ((action.kind === 'pause' || action.kind === 'resume') && this.role !== 'coordinator') {
      throw new NotCoordinatorError(`${action.kind} applies to a coordinator's assignments; this node is a ${this.role}`)
    }
    return await this.state.apply(action, Date.now(), issuedAt)
  }

  async explain (jobId: string): Promise<Explanation> { return await this.views.explain(jobId) }

  /** Failed jobs that used every attempt without a program result, newest first. */
  async deadLetters (limit = 100): Promise<DeadLetter[]> { return await this.views.deadLetters(limit) }

  /** Every peer this node holds operator state or a track record about. */
  async nodes (): Promise<Array<Record<string, unknown>>> { return await this.views.nodes() }

  async status (): Promise<Record<string, unknown>> { return await this.views.status() }

  /** Ready: libp2p started, stores answering, and joined (a connection when bootstrap peers are set). */
  async ready (): Promise<{ ready: boolean, reasons: string[] }> { return await this.views.ready() }

  get live (): boolean { return !this.ctx.stopped }
}
