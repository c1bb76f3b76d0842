// The worker: hears announcements, claims over a direct stream, verifies the signed assignment,
// runs the job with an executor while renewing its lease, and returns a signed result bound to the
// assignment. Idle workers learn of work from announcements (and from "more work" in result acks),
// never by polling on a timer. This file is its public face and its lifecycle; each concern lives
// in its own file beside it.
import { peerIdFromString } from '@libp2p/peer-id'
import { serviceCapabilities, serviceDependencies, type PeerId, type Startable } from '@libp2p/interface'
import { Protocols } from '../../wire/domains.js'
import type { SignedEnvelope } from '../../wire/pb/envelope.js'
import { ExecutionAbortedError } from '../../errors/index.js'
import { WorkerContext } from './context.js'
import { Claims } from './claims.js'
import { Coordinators } from './coordinators.js'
import { Announcements } from './announcements.js'
import { acceptAssignment, type AcceptedAssignment } from './assignment.js'
import { handleCancel } from './cancel.js'
import type { WorkerComponents, WorkerInit } from './init.js'

export type { WorkerComponents, WorkerInit } from './init.js'
export type { AcceptedAssignment } from './assignment.js'

/** What the rest of the node (operations, control API, enrollment) asks of a worker. */
export interface WorkerService {
  /** granted coordinators heard from (announcements, DHT, identify) */
  readonly coordinators: ReadonlySet<string>
  /** peers that looked like coordinators but hold no grant */
  readonly ungranted: ReadonlySet<string>
  /** executors this worker runs jobs with */
  readonly offered: string[]
  readonly freeSlots: number
  readonly runningJobs: string[]
  readonly isDraining: boolean
  /** Stops taking new work; resolves when running jobs have finished and reported. */
  drain: (signal?: AbortSignal) => Promise<void>
  /** Back to service after a drain: claim again from every coordinator we serve. */
  undrain: () => void
  /** The mesh's grants changed: coordinators are served, or no longer served, accordingly. */
  authorityChanged: () => void
  /** A coordinator admitted us (its enrollment answer): ask it for work now. */
  admittedBy: (coordinator: PeerId) => void
  /** For tests and tools: claims from a specific coordinator now. */
  claimFrom: (coordinator: string | PeerId) => Promise<boolean>
  /** Everything a worker checks before running an assignment (see assignment.ts). */
  acceptAssignment: (env: SignedEnvelope, coordinator: PeerId, claimNonce: Uint8Array) => Promise<AcceptedAssignment>
}

class Worker implements WorkerService, Startable {
  readonly [Symbol.toStringTag] = 'edgecoder/worker'
  readonly [serviceCapabilities] = ['@edgecoder/worker']
  readonly [serviceDependencies] = ['@libp2p/identify', '@libp2p/kad-dht']

  private readonly ctx: WorkerContext
  private readonly claims: Claims
  private readonly found: Coordinators
  private readonly announcements: Announcements

  constructor (components: WorkerComponents, init: WorkerInit) {
    const ctx = this.ctx = new WorkerContext(components, init)
    this.claims = new Claims(ctx)
    this.found = new Coordinators(ctx, this.claims)
    this.announcements = new Announcements(ctx, this.claims)
  }

  get coordinators (): ReadonlySet<string> { return this.ctx.coordinators }
  get ungranted (): ReadonlySet<string> { return this.ctx.ungranted }
  get offered (): string[] { return this.ctx.offered }
  get freeSlots (): number { return this.ctx.freeSlots }
  get runningJobs (): string[] { return [...this.ctx.running.keys()] }
  get isDraining (): boolean { return this.ctx.draining }

  async start (): Promise<void> {
    this.found.listen()
    await this.ctx.rpc.register({ protocol: Protocols.cancel, handle: async (req, rpc) => await handleCancel(this.ctx, req, rpc.remotePeer) })
  }

  afterStart (): void {
    // pubsub starts alongside us: subscribe only once every service is up
    this.announcements.join()
    this.found.discover()
  }

  /** Finishes nothing new: running jobs are aborted and handed back (their leases lapse and requeue). */
  async stop (): Promise<void> {
    const { ctx } = this
    ctx.abort.abort()
    this.found.stop()
    this.claims.stop()
    this.announcements.leave()
    for (const r of ctx.running.values()) r.abort.abort(new ExecutionAbortedError('worker stopping'))
    await Promise.allSettled([...ctx.running.values()].map(async r => await r.done))
    await ctx.calls.close()
    await ctx.rpc.unregisterAll()
  }

  async drain (signal?: AbortSignal): Promise<void> {
    const { ctx } = this
    ctx.draining = true
    // a waiting claim is withdrawn; if it was answered with work meanwhile, that job runs first
    const parked = ctx.parked
    parked?.withdraw.abort()
    await parked?.done
    while (ctx.running.size > 0) {
      signal?.throwIfAborted()
      await Promise.race([...ctx.running.values()].map(async r => await r.done))
    }
  }

  undrain (): void {
    this.ctx.draining = false
    for (const c of this.ctx.coordinators) void this.claims.fill(peerIdFromString(c))
  }

  authorityChanged (): void { this.found.authorityChanged() }

  /**
   * Through a waiting claim where we can: a plain claim would withdraw the one we may already have
   * waiting there.
   */
  admittedBy (coordinator: PeerId): void {
    const id = coordinator.toString()
    if (!this.ctx.coordinators.has(id) || this.ctx.parked?.coordinator === id) return
    void this.claims.fill(coordinator)
  }

  async claimFrom (coordinator: string | PeerId): Promise<boolean> {
    return (await this.claims.claimOnce(typeof coordinator === 'string' ? peerIdFromString(coordinator) : coordinator, '')).assigned
  }

  async acceptAssignment (env: SignedEnvelope, coordinator: PeerId, claimNonce: Uint8Array): Promise<AcceptedAssignment> {
    return await acceptAssignment(this.ctx, env, coordinator, claimNonce)
  }
}

export function workerService (init: WorkerInit): (components: WorkerComponents) => WorkerService {
  return (components) => new Worker(components, init)
}
