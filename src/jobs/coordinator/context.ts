// What every part of the coordinator shares: its init and components, the ids of queued jobs, the
// claims waiting for work, what it knows of workers, and the state transitions each part applies the
// same way. One instance per coordinator, made by the service and handed to each part.
import type { Logger, PeerId } from '@libp2p/interface'
import { RpcServer } from '../../rpc/reqresp.js'
import { ReplayGuard } from '../../wire/signed.js'
import type { JobStatus } from '../../wire/pb/jobs.js'
import { NotGrantedCoordinatorError } from '../../errors/index.js'
import { ParkedClaims } from '../parked-claims.js'
import { TERMINAL_STATES, type JobRecord, type JobState } from '../types.js'
import type { JobStore } from '../job-store.js'
import type { CoordinatorComponents, CoordinatorInit } from './init.js'

export class CoordinatorContext {
  readonly log: Logger
  readonly rpc: RpcServer
  readonly replay = new ReplayGuard()
  readonly leaseMs: number
  readonly targetBidders: number
  readonly reannounceMs: number
  readonly retryBackoffMs: number
  /** ids of queued jobs, oldest first */
  readonly queued = new Set<string>()
  /** claims waiting on sessions for work to arrive */
  readonly parked = new ParkedClaims()
  /** workers that have claimed from us; used to size the bidder fraction */
  readonly workerPeers = new Set<string>()
  /** workers known to have a free slot and nothing from us to fill it (told "no work") */
  readonly spare = new Set<string>()
  /** jobs whose result is accepted but whose record or settlement is not yet durable: their previous status */
  readonly finishing = new Map<string, JobStatus>()
  readonly abort = new AbortController()
  started = false
  paused = false
  /** something changed that may let a waiting claim take a queued job (see Maintenance) */
  offerDue = false
  lastAnnounceAt = 0
  /** last time a worker took a job: busy workers are pulling the queue themselves */
  lastPullAt = 0

  constructor (readonly components: CoordinatorComponents, readonly init: CoordinatorInit) {
    this.log = components.logger.forComponent('edgecoder:coordinator')
    this.rpc = new RpcServer(components, 'coordinator')
    this.leaseMs = init.leaseMs ?? 10_000
    this.targetBidders = init.targetBidders ?? 3
    this.reannounceMs = init.reannounceMs ?? 250
    this.retryBackoffMs = init.retryBackoffMs ?? 200
  }

  get store (): JobStore { return this.init.store }

  get self (): string { return this.components.peerId.toString() }

  /** Whether this coordinator holds a grant from the mesh's admins (work is given only then). */
  get isGranted (): boolean { return this.init.authority?.isGranted(this.self) ?? true }

  /** Throws NotGrantedCoordinatorError, saying why and what an admin runs, while we hold no grant. */
  checkGranted (): void {
    const a = this.init.authority
    const self = this.self
    if (a == null || a.isGranted(self)) return
    throw new NotGrantedCoordinatorError(`this coordinator takes and gives no work: ${a.standing(self).why}; a mesh admin grants it with: edgecoder-node admin coordinator add ${self}`)
  }

  async together<T> (fn: () => Promise<T>): Promise<T> {
    return this.init.writes != null ? await this.init.writes.together(fn) : await fn()
  }

  knownWorkerCount (): number {
    let n = 0
    for (const conn of this.components.connectionManager.getConnections()) {
      if (this.workerPeers.has(conn.remotePeer.toString())) n++
    }
    return Math.max(n, 1)
  }

  /** The ack's "more work" flag; a worker told "no" has a free slot: it is idle capacity. */
  moreWorkFor (worker: PeerId): boolean {
    const more = this.queued.size > 0
    if (!more) this.spare.add(worker.toString())
    return more
  }

  enter (rec: JobRecord, state: JobState, now: number): void {
    rec.state = state
    rec.updatedAt = now
    rec.timestamps.push({ state, at: now })
  }

  retryOrFail (rec: JobRecord, reason: string, now: number): void {
    rec.lease = undefined
    if (rec.attempt >= rec.maxAttempts) {
      rec.reason = `failed after ${rec.attempt} attempt(s); last: ${reason}`
      this.enter(rec, 'failed', now)
      return
    }
    rec.reason = reason
    rec.round = 0
    rec.lastAnnouncedAt = 0
    rec.notBefore = now + this.retryBackoffMs * 2 ** (rec.attempt - 1)
    this.enter(rec, 'queued', now)
    this.queued.add(rec.id)
    this.offerDue = true
  }

  /** Once a transition is durable: credits held for a job that ends unpaid go back, and it is told. */
  afterTransition (rec: JobRecord): void {
    if (TERMINAL_STATES.has(rec.state) && this.init.ledger?.isSettled(rec.id) !== true) this.init.ledger?.release(rec.id)
    const base = { jobId: rec.id, coordinator: rec.coordinator }
    if (rec.state === 'succeeded') this.init.events.emit('job:completed', { ...base, exitCode: rec.result?.exitCode ?? 0 })
    else if (rec.state === 'failed') this.init.events.emit('job:failed', { ...base, reason: rec.reason })
    else if (rec.state === 'cancelled') this.init.events.emit('job:cancelled', base)
    else if (rec.state === 'queued') this.init.events.emit('job:requeued', { ...base, attempt: rec.attempt, reason: rec.reason })
  }
}
