// The coordinator: keeps the durable job queue, announces jobs on gossip, answers claims with
// signed assignments, tracks leases, accepts signed results only from the live assignee, and
// serves submissions, status, results and cancels to job owners.
import { randomBytes } from 'node:crypto'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 as mfSha256 } from 'multiformats/hashes/sha2'
import { peerIdFromString } from '@libp2p/peer-id'
import { serviceCapabilities, serviceDependencies, type PeerId, type Startable, type ComponentLogger, type Logger, type Metrics, type PeerStore, type ContentRouting } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { TopicValidatorResult, type GossipSub, type Message as GossipMessage } from '@libp2p/gossipsub'
import { RpcServer, rpcCall, type RpcContext } from '../rpc/reqresp.js'
import { ParkedClaims } from './parked-claims.js'
import { Protocols, Domains, jobsTopic, coordinatorsKey } from '../wire/domains.js'
import { ReplayGuard, verifyEnvelope, toHex, sha256, bytesEqual, type Signer } from '../wire/signed.js'
import { SignedEnvelope, SignedPayload } from '../wire/pb/envelope.js'
import {
  Assignment, ClaimRequest, ClaimResponse, JobAnnouncement, JobQuery, JobResult, JobStatus, LeaseRenewal,
  LeaseResponse, ResultAck, CancelNotice
} from '../wire/pb/jobs.js'
import { JobStore } from './job-store.js'
import { verifyJobSpec } from './job-spec.js'
import { storeEnvelope, loadEnvelope } from './envelopes.js'
import { bidderFractionPpm, fractionSelecting } from './bidders.js'
import { TERMINAL_STATES, type JobRecord, type JobState } from './types.js'
import type { TypedEmitter } from '../util/typed-emitter.js'
import type { JobEvents } from './events.js'
import type { CoordinatorLedger } from '../ledger/coordinator-ledger.js'
import type { GroupedWrites } from '../identity/store-registry.js'
import type { AdmissionCheck } from '../admission/admission-state.js'
import { NotAdmittedError, NotGrantedCoordinatorError } from '../errors/index.js'
import type { PeerGuard } from '../rpc/peer-guard.js'
import type { DispatchGate } from './dispatch-gate.js'
import {
  InvalidStateError, JobNotFoundError, MalformedMessageError, NotAssigneeError, NotSubmitterError, StaleAttemptError,
  InvalidJobSpecError
} from '../errors/index.js'

export interface CoordinatorInit {
  meshId: string
  signer: Signer
  store: JobStore
  events: TypedEmitter<JobEvents>
  /** how long an assignment's lease lasts without renewal */
  leaseMs?: number
  /** bidders an announcement aims for */
  targetBidders?: number
  /** delay before a queued, unclaimed job is re-announced (doubles each round) */
  reannounceMs?: number
  /** base backoff before a failed attempt is retried (doubles per attempt) */
  retryBackoffMs?: number
  /** prices, holds and settles credits; absent: jobs run free */
  ledger?: CoordinatorLedger
  /** who may be given work, who is blacklisted, admin policy; absent: anyone */
  admission?: AdmissionCheck
  /** operator state consulted on every claim (src/ops); absent: every worker may claim */
  dispatch?: DispatchGate
  /** the mesh's coordinator grants (src/admission/authority.ts); absent: no grant is needed */
  authority?: CoordinatorAuthority
  /** a job's result and its settlement are written as one group, so a backup never splits them */
  writes?: GroupedWrites
}

/** What the job services ask of the mesh's authority (MeshAuthority implements it). */
export interface CoordinatorAuthority {
  isGranted: (peer: string) => boolean
  standing: (peer: string) => { granted: boolean, why: string }
  /** whether an ungranted direct publisher may be charged (see MeshAuthority.mayCharge) */
  mayCharge?: (peer: string, self: string) => boolean
}

export interface CoordinatorComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  peerStore: PeerStore
  contentRouting: ContentRouting
  logger: ComponentLogger
  metrics?: Metrics
  pubsub: GossipSub
}

const MAX_ANNOUNCE_ROUNDS = 8
/**
 * New jobs within this long of the last announcement ride on it: the workers it woke claim until
 * the queue is empty (announcing each job of a burst was a gossip storm that starved the workers)
 */
const ANNOUNCE_COALESCE_MS = 20
/** longest a claim waits for work on a session before it is answered "no work" */
const MAX_CLAIM_WAIT_MS = 30_000

export class CoordinatorService implements Startable {
  readonly [Symbol.toStringTag] = 'edgecoder/coordinator'
  readonly [serviceCapabilities] = ['@edgecoder/coordinator']
  readonly [serviceDependencies] = ['@libp2p/identify', '@libp2p/kad-dht']

  private readonly log: Logger
  private readonly rpc: RpcServer
  private readonly replay = new ReplayGuard()
  private readonly queued = new Set<string>()
  private readonly leaseMs: number
  private readonly targetBidders: number
  private readonly reannounceMs: number
  private readonly retryBackoffMs: number
  private tick?: ReturnType<typeof setInterval>
  private provideTimer?: ReturnType<typeof setTimeout>
  private readonly abort = new AbortController()
  /** claims waiting on sessions for work to arrive */
  private readonly parked = new ParkedClaims()
  /** something changed that may let a waiting claim take a queued job (see maintain) */
  private offerDue = false
  private lastTickAt = 0
  private started = false
  private paused = false

  constructor (private readonly components: CoordinatorComponents, private readonly init: CoordinatorInit) {
    this.log = components.logger.forComponent('edgecoder:coordinator')
    this.rpc = new RpcServer(components, 'coordinator')
    this.leaseMs = init.leaseMs ?? 10_000
    this.targetBidders = init.targetBidders ?? 3
    this.reannounceMs = init.reannounceMs ?? 250
    this.retryBackoffMs = init.retryBackoffMs ?? 200
  }

  get store (): JobStore { return this.init.store }

  private async settleFinished (): Promise<void> {
    const ledger = this.init.ledger
    if (ledger == null) return
    for (const id of this.store.finishedWithResult) {
      if (ledger.isSettled(id)) continue
      const rec = await this.store.get(id)
      if (rec != null) await this.together(async () => await ledger.settle(rec))
    }
  }

  /**
   * After a restored ledger caught up from a replica: a job the log shows settled (it finished after
   * the backup) but that the restored store still has open is closed with the settled outcome (its
   * output is not in the backup), so it neither runs nor is paid twice; then finished jobs not yet
   * settled are settled.
   */
  async reconcileLedger (): Promise<number> {
    const ledger = this.init.ledger
    if (ledger == null) return 0
    const now = Date.now()
    const changes: Array<{ rec: JobRecord, previous: JobState }> = []
    for (const rec of this.store.live.values()) {
      const settled = await ledger.settlementOf(rec.id)
      if (settled == null) continue
      const previous = rec.state
      rec.lease = undefined
      rec.reason = `settled (${settled.outcome}, worker ${settled.worker}, attempt ${settled.attempt}) after the backup this coordinator was restored from; its output is not in the backup`
      this.enter(rec, settled.outcome === 'succeeded' ? 'succeeded' : 'failed', now)
      this.queued.delete(rec.id)
      changes.push({ rec, previous })
    }
    if (changes.length > 0) await this.together(async () => { await this.store.putMany(changes) })
    for (const c of changes) { this.init.ledger?.release(c.rec.id); this.afterTransition(c.rec) }
    await this.settleFinished()
    return changes.length
  }

  private async together<T> (fn: () => Promise<T>): Promise<T> {
    return this.init.writes != null ? await this.init.writes.together(fn) : await fn()
  }

  async start (): Promise<void> {
    for (const rec of this.store.live.values()) {
      if (rec.state === 'queued') this.queued.add(rec.id)
      if (rec.price != null) this.init.ledger?.hold(rec.id, rec.owner, BigInt(rec.price))
    }
    // a crash between accepting a result and settling it: settle now (settle is exactly-once);
    // a restored ledger holding its appends does it once it has caught up (reconcileLedger)
    if (this.init.ledger?.appendsHeld == null) await this.settleFinished()
    // a worker's claims, lease renewals and results also travel on its session stream (rpc/session.ts)
    await this.rpc.register({ protocol: Protocols.claim, session: true, handle: async (req, ctx) => await this.handleClaim(req, ctx) })
    await this.rpc.register({ protocol: Protocols.lease, session: true, handle: async (req, ctx) => await this.handleLease(req, ctx.remotePeer) })
    await this.rpc.register({ protocol: Protocols.result, session: true, limits: { maxRequestBytes: 4 * 1024 * 1024 }, handle: async (req, ctx) => await this.handleResult(req, ctx.remotePeer) })
    await this.rpc.register({ protocol: Protocols.submit, limits: { maxRequestBytes: 6 * 1024 * 1024, ratePoints: 1000 }, handle: async (req) => new TextEncoder().encode(await this.submit(req)) })
    await this.rpc.register({ protocol: Protocols.job, handle: async (req, ctx) => await this.handleJobQuery(req, ctx.remotePeer) })
    // a failed job-store write stops the store (it refuses everything until a restart): log it, do not crash
    this.tick = setInterval(() => { this.maintain().catch(err => { this.log.error('maintenance: %s', (err as Error).message) }) }, Math.max(50, Math.min(250, Math.floor(this.leaseMs / 8))))
    this.tick.unref?.()
    this.started = true
  }

  /** Announces this coordinator in the DHT; retried because the routing table may still be empty. */
  afterStart (): void {
    // pubsub starts alongside us: subscribe only once every service is up
    const topic = jobsTopic(this.init.meshId)
    this.components.pubsub.topicValidators.set(topic, announcementValidator(this.init.meshId, { admission: this.init.admission, authority: this.init.authority, guard: () => this.rpc.guard, mayCharge: p => this.init.authority?.mayCharge?.(p, this.components.peerId.toString()) ?? true }))
    this.components.pubsub.subscribe(topic)
    this.wasGranted = this.isGranted
    if (!this.wasGranted) this.log('no coordinator grant: giving no work until a mesh admin grants this node')
    void this.provide()
    // announce whatever survived a restart so idle workers hear of it
    for (const id of this.queued) {
      const rec = this.store.live.get(id)
      if (rec != null) void this.announce(rec)
    }
  }

  /** The DHT record that lets workers and clients find us: only while we hold a grant. */
  private async provide (): Promise<void> {
    if (!this.isGranted) return
    try {
      await this.components.contentRouting.provide(await coordinatorsCid(this.init.meshId), { signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(15_000)]) })
      this.log('provided coordinator record')
      this.provideTimer = setTimeout(() => { void this.provide() }, 5 * 60_000)
    } catch (err) {
      if (this.abort.signal.aborted) return
      this.log('provide failed, retrying: %s', (err as Error).message)
      this.provideTimer = setTimeout(() => { void this.provide() }, 2_000)
    }
    this.provideTimer?.unref?.()
  }

  beforeStop (): void {
    this.started = false
    this.abort.abort()
    if (this.tick != null) clearInterval(this.tick)
    if (this.provideTimer != null) clearTimeout(this.provideTimer)
    this.parked.wakeAll()
    try { this.components.pubsub.unsubscribe(jobsTopic(this.init.meshId)) } catch {}
    this.components.pubsub.topicValidators.delete(jobsTopic(this.init.meshId))
  }

  async stop (): Promise<void> {
    this.beforeStop()
    await this.rpc.unregisterAll()
  }

  setPaused (paused: boolean): void {
    this.paused = paused
    if (!paused) this.parked.wakeAll()
  }

  /** Whether this coordinator holds a grant from the mesh's admins (work is given only then). */
  get isGranted (): boolean { return this.init.authority?.isGranted(this.components.peerId.toString()) ?? true }

  /** Throws NotGrantedCoordinatorError, saying why and what an admin runs, while we hold no grant. */
  private checkGranted (): void {
    const a = this.init.authority
    const self = this.components.peerId.toString()
    if (a == null || a.isGranted(self)) return
    throw new NotGrantedCoordinatorError(`this coordinator takes and gives no work: ${a.standing(self).why}; a mesh admin grants it with: edgecoder-node admin coordinator add ${self}`)
  }

  /**
   * The mesh's grants changed: on gaining ours, announce what is queued and provide the DHT record;
   * on losing it, answer every waiting claim (they are refused from now on).
   */
  authorityChanged (): void {
    if (!this.started) return
    const granted = this.isGranted
    if (granted === this.wasGranted) return
    this.wasGranted = granted
    this.log('coordinator grant %s', granted ? 'held: giving work' : 'not held: giving no work')
    if (!granted) { this.parked.wakeAll(); return }
    this.reannounce()
    if (this.provideTimer != null) clearTimeout(this.provideTimer)
    void this.provide()
  }

  private wasGranted = false

  /** Accepts a signed job spec; returns the job id. Idempotent for the same envelope. */
  async submit (env: SignedEnvelope): Promise<string> {
    this.checkGranted()
    const v = await verifyJobSpec(env, this.init.meshId)
    const self = this.components.peerId.toString()
    if (this.init.admission?.isDenied(v.owner.toString()) === true) throw new NotAdmittedError('the submitting account is blacklisted')
    // only admitted accounts submit (token mode: enrolled and approved), refused before any pricing or grant
    this.init.admission?.checkSubmitter?.(v.owner.toString())
    const allowed = this.init.admission?.policy('allowedExecutors')
    if (Array.isArray(allowed) && !allowed.includes(v.spec.executor)) {
      throw new InvalidJobSpecError(`executor "${v.spec.executor}" is not allowed on this mesh (allowed: ${allowed.join(', ')})`)
    }
    // code sources: which wasm modules (by digest) and which commands a job may name
    const modules = this.init.admission?.policy('allowedModules')
    if (v.spec.executor === 'wasm' && Array.isArray(modules)) {
      const digest = toHex(sha256(v.spec.module))
      if (!modules.includes(digest)) throw new InvalidJobSpecError(`wasm module ${digest.slice(0, 16)}… is not on this mesh's allowed module list`)
    }
    const commands = this.init.admission?.policy('allowedCommands')
    if (v.spec.executor === 'process' && Array.isArray(commands) && !commands.includes(v.spec.args[0] ?? '')) {
      throw new InvalidJobSpecError(`command "${(v.spec.args[0] ?? '').slice(0, 80)}" is not on this mesh's allowed command list`)
    }
    if (v.spec.coordinator !== '' && v.spec.coordinator !== self) {
      throw new InvalidJobSpecError(`job addressed to coordinator ${v.spec.coordinator}, this is ${self}`)
    }
    const existing = await this.store.get(v.id)
    if (existing != null) return v.id
    // priced and paid for before it is queued: a job the owner cannot pay for is refused here
    const price = await this.init.ledger?.reserve(v.id, v.owner.toString(), v.spec.executor, v.spec.offeredPrice, this.queued.size, this.knownWorkerCount())
    const now = Date.now()
    const rec: JobRecord = {
      id: v.id,
      seq: this.store.allocateSeq(),
      state: 'queued',
      owner: v.owner.toString(),
      coordinator: self,
      executor: v.spec.executor,
      label: v.spec.label,
      spec: storeEnvelope(env),
      timeoutMs: v.spec.timeoutMs,
      maxAttempts: v.spec.maxAttempts,
      offeredPrice: v.spec.offeredPrice.toString(),
      ...(price != null ? { price: price.toString() } : {}),
      cpuMillis: v.spec.resources?.cpuMillis ?? 0,
      memoryMb: v.spec.resources?.memoryMb ?? 0,
      attempt: 0,
      attempts: [],
      timestamps: [{ state: 'queued', at: now }],
      reason: '',
      createdAt: now,
      updatedAt: now,
      notBefore: 0,
      round: 0,
      lastAnnouncedAt: 0
    }
    try {
      await this.store.put(rec)
    } catch (err) {
      this.init.ledger?.release(rec.id)
      throw err
    }
    this.queued.add(rec.id)
    this.init.events.emit('job:queued', { jobId: rec.id, coordinator: self, executor: rec.executor })
    // a worker waiting on its session takes it at once: nothing to announce
    if (this.parked.offer(1) > 0) { rec.lastAnnouncedAt = now; return rec.id }
    // gossip only wakes idle workers: when every known worker is busy, the next result ack tells one
    // of them there is more work and it claims at once (re-announced by maintain() if nobody does)
    const idle = this.spare.size > 0 || this.workerPeers.size === 0
    if (idle && (this.queued.size === 1 || now - this.lastAnnounceAt >= ANNOUNCE_COALESCE_MS)) void this.announce(rec)
    else rec.lastAnnouncedAt = now
    return rec.id
  }

  private async announce (rec: JobRecord): Promise<void> {
    if (!this.started || !this.isGranted) return
    rec.lastAnnouncedAt = Date.now()
    this.lastAnnounceAt = rec.lastAnnouncedAt
    const workers = this.knownWorkerCount()
    const body = JobAnnouncement.encode({
      jobId: rec.id,
      executor: rec.executor,
      resources: { cpuMillis: rec.cpuMillis, memoryMb: rec.memoryMb },
      offeredPrice: BigInt(rec.offeredPrice),
      attempt: rec.attempt + 1,
      round: rec.round,
      bidderFractionPpm: this.fractionFor(rec, workers),
      queueDepth: this.queued.size
    })
    try {
      const env = await this.init.signer.sign(Domains.announce, body, 60_000)
      await this.components.pubsub.publish(jobsTopic(this.init.meshId), SignedEnvelope.encode(env))
      this.init.events.emit('job:announced', { jobId: rec.id, coordinator: this.components.peerId.toString(), round: rec.round })
    } catch (err) {
      this.log('announce %s failed: %s', rec.id, (err as Error).message)
    }
  }

  /**
   * Bidders: about `targetBidders`, plus one per other queued job (a deep queue can use every idle
   * worker), chosen among the workers known to be idle when there are any, doubled per round.
   */
  private fractionFor (rec: JobRecord, workers: number): number {
    const want = this.targetBidders + Math.max(0, this.queued.size - 1)
    if (this.spare.size === 0) return bidderFractionPpm(want, workers, rec.round)
    if (want >= this.spare.size && this.spare.size >= workers) return 1_000_000
    return Math.min(1_000_000, fractionSelecting(rec.id, rec.round, this.spare, want) * 2 ** rec.round)
  }

  private knownWorkerCount (): number {
    let n = 0
    for (const conn of this.components.connectionManager.getConnections()) {
      if (this.workerPeers.has(conn.remotePeer.toString())) n++
    }
    return Math.max(n, 1)
  }

  /** workers that have claimed from us; used to size the bidder fraction */
  private readonly workerPeers = new Set<string>()
  /** workers known to have a free slot and nothing from us to fill it (told "no work") */
  private readonly spare = new Set<string>()
  private lastAnnounceAt = 0
  /** last time a worker took a job: busy workers are pulling the queue themselves */
  private lastPullAt = 0

  private async handleClaim (req: SignedEnvelope, ctx: RpcContext): Promise<Uint8Array> {
    const remote = ctx.remotePeer
    const v = await verifyEnvelope(req, { domain: Domains.claim, meshId: this.init.meshId, expectedSigner: remote, replay: this.replay })
    const claim = decode(ClaimRequest, v.payload.body, 'claim request')
    // a claim on a session may wait for work (the worker can withdraw it there); never past the
    // exchange's own deadline, nor past the claim envelope's expiry
    const waitUntil = ctx.session && claim.waitMs > 0
      ? Math.min(Date.now() + Math.min(claim.waitMs, MAX_CLAIM_WAIT_MS), ctx.deadline - 500, Number(v.payload.expiresAtMs) - 500)
      : 0
    const { assignment, queueDepth } = await this.serveClaim(claim, remote, waitUntil, ctx.signal)
    return ClaimResponse.encode(assignment != null
      ? { status: ClaimResponse.Status.ASSIGNED, assignment, queueDepth }
      : { status: ClaimResponse.Status.NO_WORK, queueDepth })
  }

  /**
   * A verified claim (on its own, or riding on a result): an assignment of the first queued job it
   * fits, or none once `waitUntil` (epoch ms; 0 = answer at once) passes.
   */
  private async serveClaim (claim: ClaimRequest, remote: PeerId, waitUntil: number, signal: AbortSignal): Promise<{ assignment?: SignedEnvelope, queueDepth: number }> {
    const worker = remote.toString()
    this.checkGranted()
    // only active, non-blacklisted nodes are given work
    this.init.admission?.checkAssignable(worker)
    this.workerPeers.add(worker)
    // a waiting claim is offered only jobs it could take now (not paused, not refused by operator state)
    const mayTake = (): boolean => !this.paused && this.init.dispatch?.refuses(worker) !== true && this.pickJob(claim, worker) != null
    for (let pass = 0; ; pass++) {
      // admission, and our own grant, may have changed while the claim waited
      if (pass > 0) { this.checkGranted(); this.init.admission?.checkAssignable(worker) }
      const refused = this.paused || (pass === 0
        ? this.init.dispatch?.admit(worker, { jobId: claim.jobId, executors: claim.executors, freeSlots: claim.freeSlots, memoryMb: claim.capacity?.memoryMb ?? 0 }) != null
        : this.init.dispatch?.refuses(worker) === true)
      const rec = refused ? undefined : this.pickJob(claim, worker)
      if (rec != null) {
        const undo = this.init.dispatch?.reserve(worker)
        let env: SignedEnvelope | undefined
        try { env = await this.assign(rec, claim, remote) } finally { if (env == null) undo?.() }
        if (env != null) return { assignment: env, queueDepth: this.queued.size }
        continue
      }
      if (Date.now() >= waitUntil || signal.aborted || !this.started) break
      this.spare.add(worker)
      await this.parked.wait(mayTake, waitUntil, signal)
    }
    this.spare.add(worker)
    return { queueDepth: this.queued.size }
  }

  /** Signs an assignment of `rec` for this claim and records it; undefined when another claim took it first. */
  private async assign (rec: JobRecord, claim: ClaimRequest, remote: PeerId): Promise<SignedEnvelope | undefined> {
    const now = Date.now()
    const previous = rec.state
    const attempt = rec.attempt + 1
    const expiresAt = now + this.leaseMs
    const assignment = Assignment.encode({
      jobId: rec.id,
      worker: remote.toString(),
      attempt,
      leaseExpiresAtMs: BigInt(expiresAt),
      nonce: randomBytes(16),
      claimNonce: claim.claimNonce,
      job: loadEnvelope(rec.spec)
    })
    // sign before touching state: a failure here leaves the job queued
    const env = await this.init.signer.sign(Domains.assignment, assignment, this.leaseMs)
    // lost a race with another claim while signing
    if (rec.state !== 'queued' || !this.queued.has(rec.id)) return undefined
    this.queued.delete(rec.id)
    this.lastPullAt = now
    // a worker that asked with slots to spare and emptied the queue is idle capacity
    if (claim.freeSlots > 1 && this.queued.size === 0) this.spare.add(remote.toString())
    else this.spare.delete(remote.toString())
    rec.state = 'assigned'
    rec.attempt = attempt
    rec.lease = { worker: remote.toString(), attempt, expiresAt, assignmentDigest: toHex(sha256(env.payload)), assignment: storeEnvelope(env) }
    rec.attempts.push({ attempt, worker: remote.toString(), assignedAt: now, outcome: 'running' })
    this.enter(rec, 'assigned', now)
    await this.store.put(rec, previous)
    this.init.events.emit('job:assigned', { jobId: rec.id, worker: remote.toString(), attempt })
    return env
  }

  private pickJob (claim: ClaimRequest, worker: string): JobRecord | undefined {
    const now = Date.now()
    const fits = (rec: JobRecord | undefined): rec is JobRecord =>
      rec != null && rec.state === 'queued' && rec.notBefore <= now && claim.executors.includes(rec.executor) &&
      (claim.capacity == null || claim.capacity.memoryMb === 0 || rec.memoryMb <= claim.capacity.memoryMb) &&
      this.init.dispatch?.allows(worker, rec) !== false
    if (claim.jobId !== '') {
      const preferred = this.store.live.get(claim.jobId)
      if (fits(preferred)) return preferred
    }
    for (const id of this.queued) {
      const rec = this.store.live.get(id)
      if (fits(rec)) return rec
    }
    return undefined
  }

  private liveLease (jobId: string, signer: PeerId, attempt: number, digest: Uint8Array): JobRecord {
    const rec = this.store.live.get(jobId)
    if (rec == null) throw new JobNotFoundError(`job ${jobId} is not live here`)
    if (rec.lease == null) throw new StaleAttemptError(`job ${jobId} has no live attempt`)
    if (rec.lease.worker !== signer.toString()) throw new NotAssigneeError(`job ${jobId} attempt ${rec.lease.attempt} is assigned to another worker`)
    if (rec.lease.attempt !== attempt || rec.lease.assignmentDigest !== toHex(digest)) {
      throw new StaleAttemptError(`job ${jobId}: attempt ${attempt} is not the live attempt (${rec.lease.attempt})`)
    }
    return rec
  }

  private async handleLease (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const v = await verifyEnvelope(req, { domain: Domains.lease, meshId: this.init.meshId, expectedSigner: remote, replay: this.replay })
    const renewal = decode(LeaseRenewal, v.payload.body, 'lease renewal')
    const rec = await this.store.get(renewal.jobId)
    if (rec?.state === 'cancelled') return LeaseResponse.encode({ status: LeaseResponse.Status.CANCELLED, leaseExpiresAtMs: 0n })
    // rejected or blacklisted since it was assigned: it loses the lease (the job requeues on expiry)
    try { this.init.admission?.checkAssignable(remote.toString()) } catch { return LeaseResponse.encode({ status: LeaseResponse.Status.LOST, leaseExpiresAtMs: 0n }) }
    let live: JobRecord
    try {
      live = this.liveLease(renewal.jobId, remote, renewal.attempt, renewal.assignmentDigest)
    } catch (err) {
      if (['StaleAttemptError', 'JobNotFoundError', 'NotAssigneeError'].includes((err as Error).name)) {
        return LeaseResponse.encode({ status: LeaseResponse.Status.LOST, leaseExpiresAtMs: 0n })
      }
      throw err
    }
    const now = Date.now()
    const lease = live.lease as NonNullable<JobRecord['lease']>
    lease.expiresAt = now + this.leaseMs
    const previous = live.state
    if (renewal.running && live.state === 'assigned') {
      this.enter(live, 'running', now)
      const a = live.attempts[live.attempts.length - 1]
      if (a != null) a.startedAt = now
      this.init.events.emit('job:started', { jobId: live.id, worker: remote.toString(), attempt: lease.attempt })
    }
    await this.store.put(live, previous)
    return LeaseResponse.encode({ status: LeaseResponse.Status.OK, leaseExpiresAtMs: BigInt(lease.expiresAt) })
  }

  private async handleResult (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const v = await verifyEnvelope(req, { domain: Domains.result, meshId: this.init.meshId, expectedSigner: remote })
    // a result is stored only when it can be settled with it: the worker retries it later
    this.init.ledger?.assertAppendable()
    const result = decode(JobResult, v.payload.body, 'job result')
    // a node rejected or blacklisted since its assignment is not paid for what it sends
    this.init.admission?.checkAssignable(remote.toString())
    const existing = await this.store.get(result.jobId)
    if (existing?.result != null && existing.result.digest === toHex(v.digest)) {
      // a retry after a lost ack: make sure it is paid (exactly once), then say so
      await this.together(async () => await this.init.ledger?.settle(existing))
      this.finishing.delete(existing.id)
      return ResultAck.encode({ status: ResultAck.Status.DUPLICATE, moreWork: this.moreWorkFor(remote) })
    }
    const rec = this.liveLease(result.jobId, remote, result.attempt, result.assignmentDigest)
    if (!bytesEqual(sha256(result.output), result.outputDigest)) {
      throw new MalformedMessageError('output_digest does not match output')
    }
    // readers see the job as it was until its result and its settlement are both durable: a
    // client that reads the ledger right after status turns terminal finds the charge there
    this.finishing.set(rec.id, toJobStatus(rec, false))
    const now = Date.now()
    const previous = rec.state
    const attemptInfo = rec.attempts[rec.attempts.length - 1]
    const lease = rec.lease as NonNullable<JobRecord['lease']>
    rec.lease = undefined
    rec.result = {
      envelope: storeEnvelope(req),
      assignmentDigest: lease.assignmentDigest,
      assignment: lease.assignment,
      digest: toHex(v.digest),
      exitCode: result.exitCode,
      outputDigest: toHex(result.outputDigest),
      error: result.error === '' ? undefined : result.error,
      worker: remote.toString(),
      attempt: lease.attempt
    }
    if (rec.state === 'assigned') {
      // a job that finished before its first lease renewal: it ran all the same
      this.enter(rec, 'running', now)
      this.init.events.emit('job:started', { jobId: rec.id, worker: remote.toString(), attempt: lease.attempt })
    }
    if (attemptInfo != null) {
      attemptInfo.endedAt = now
      attemptInfo.startedAt ??= now
    }
    if (result.error !== '') {
      // the executor could not produce a result: the attempt failed, the job may be retried
      if (attemptInfo != null) { attemptInfo.outcome = 'failed'; attemptInfo.reason = `${result.error}: ${result.errorMessage}` }
      this.retryOrFail(rec, `attempt ${lease.attempt} failed on ${remote.toString()}: ${result.error}: ${result.errorMessage}`, now)
    } else if (result.exitCode === 0) {
      if (attemptInfo != null) attemptInfo.outcome = 'succeeded'
      rec.reason = ''
      this.enter(rec, 'succeeded', now)
    } else {
      // a program that ran and exited non-zero is a result: running it again would not change it
      if (attemptInfo != null) { attemptInfo.outcome = 'failed'; attemptInfo.reason = `exit status ${result.exitCode}` }
      rec.reason = `exit status ${result.exitCode}`
      this.enter(rec, 'failed', now)
    }
    await this.together(async () => {
      await this.store.put(rec, previous)
      // the job's state is durable; pay for it before acking so an ack means "in the log"
      await this.init.ledger?.settle(rec)
    })
    this.finishing.delete(rec.id)
    this.afterTransition(rec)
    // the claim for the slot this result frees, signed with it: the next job rides on the ack
    const next = result.nextClaim != null ? await this.serveClaim(result.nextClaim, remote, 0, this.abort.signal).catch(() => undefined) : undefined
    if (next?.assignment != null) return ResultAck.encode({ status: ResultAck.Status.ACCEPTED, moreWork: next.queueDepth > 0, assignment: next.assignment, queueDepth: next.queueDepth })
    return ResultAck.encode({ status: ResultAck.Status.ACCEPTED, moreWork: this.moreWorkFor(remote), queueDepth: this.queued.size })
  }

  /** The ack's "more work" flag; a worker told "no" has a free slot: it is idle capacity. */
  private moreWorkFor (worker: PeerId): boolean {
    const more = this.queued.size > 0
    if (!more) this.spare.add(worker.toString())
    return more
  }

  private retryOrFail (rec: JobRecord, reason: string, now: number): void {
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

  private afterTransition (rec: JobRecord): void {
    // held credits of a job that ends unpaid (cancelled, failed without a result) go back
    if (TERMINAL_STATES.has(rec.state) && this.init.ledger?.isSettled(rec.id) !== true) this.init.ledger?.release(rec.id)
    const base = { jobId: rec.id, coordinator: rec.coordinator }
    if (rec.state === 'succeeded') this.init.events.emit('job:completed', { ...base, exitCode: rec.result?.exitCode ?? 0 })
    else if (rec.state === 'failed') this.init.events.emit('job:failed', { ...base, reason: rec.reason })
    else if (rec.state === 'cancelled') this.init.events.emit('job:cancelled', base)
    else if (rec.state === 'queued') this.init.events.emit('job:requeued', { ...base, attempt: rec.attempt, reason: rec.reason })
  }

  private enter (rec: JobRecord, state: JobState, now: number): void {
    rec.state = state
    rec.updatedAt = now
    rec.timestamps.push({ state, at: now })
  }

  /** Lease expiry, delayed retries and re-announcements. */
  private async maintain (): Promise<void> {
    if (!this.started) return
    const now = Date.now()
    const changes: Array<{ rec: JobRecord, previous: JobState }> = []
    for (const rec of this.store.live.values()) {
      if ((rec.state === 'assigned' || rec.state === 'running') && rec.lease != null && rec.lease.expiresAt <= now) {
        const previous = rec.state
        const a = rec.attempts[rec.attempts.length - 1]
        if (a != null) { a.outcome = 'lease-expired'; a.endedAt = now; a.reason = `lease expired (worker ${rec.lease.worker} silent)` }
        this.retryOrFail(rec, `attempt ${rec.attempt}: lease expired on ${rec.lease.worker}`, now)
        changes.push({ rec, previous })
      }
    }
    if (changes.length > 0) {
      await this.store.putMany(changes)
      for (const c of changes) {
        this.init.events.emit('lease:expired', { jobId: c.rec.id, attempt: c.rec.attempt })
        this.afterTransition(c.rec)
      }
    }
    if (this.paused) return
    // jobs that became due (retries after their backoff, a resume, ...) go to waiting claims first;
    // only then: a queue nobody's claim fits is not rescanned for every waiting claim at every tick
    if (this.parked.size > 0 && this.queued.size > 0 && this.becameDue(now)) this.parked.offer(this.queued.size)
    this.lastTickAt = now
    // one per tick, oldest due first: it carries the queue depth and wakes as many idle workers as
    // the queue can use; none while busy workers are pulling jobs and no worker is idle
    let budget = this.spare.size > 0 || now - this.lastPullAt >= this.reannounceMs ? 1 : 0
    for (const id of this.queued) {
      if (budget <= 0) break
      const rec = this.store.live.get(id)
      if (rec == null || rec.notBefore > now) continue
      const due = rec.lastAnnouncedAt === 0 || (rec.round < MAX_ANNOUNCE_ROUNDS && now - rec.lastAnnouncedAt >= this.reannounceMs * 2 ** rec.round)
      if (!due) continue
      if (rec.lastAnnouncedAt !== 0) rec.round++
      budget--
      void this.announce(rec)
    }
  }

  /** whether some queued job may fit a waiting claim now that did not at the last tick */
  private becameDue (now: number): boolean {
    if (this.offerDue) { this.offerDue = false; return true }
    for (const id of this.queued) {
      const nb = this.store.live.get(id)?.notBefore ?? 0
      if (nb > this.lastTickAt && nb <= now) return true
    }
    return false
  }

  async cancel (jobId: string, requester?: PeerId): Promise<JobRecord> {
    const rec = await this.store.get(jobId)
    if (rec == null) throw new JobNotFoundError(`no job ${jobId}`)
    if (requester != null && rec.owner !== requester.toString()) throw new NotSubmitterError('only the job owner may cancel it')
    if (rec.state === 'cancelled') return rec
    if (TERMINAL_STATES.has(rec.state)) throw new InvalidStateError(`job ${jobId} already ${rec.state}`)
    const now = Date.now()
    const previous = rec.state
    const lease = rec.lease
    const a = rec.attempts[rec.attempts.length - 1]
    if (lease != null && a != null && a.outcome === 'running') { a.outcome = 'cancelled'; a.endedAt = now }
    rec.lease = undefined
    rec.reason = 'cancelled by owner'
    this.queued.delete(rec.id)
    this.enter(rec, 'cancelled', now)
    await this.store.put(rec, previous)
    this.afterTransition(rec)
    if (lease != null) void this.notifyCancel(rec.id, lease.worker, lease.attempt)
    return rec
  }

  private async notifyCancel (jobId: string, worker: string, attempt: number): Promise<void> {
    try {
      const env = await this.init.signer.sign(Domains.cancelNotice, CancelNotice.encode({ jobId, attempt }), 30_000)
      await rpcCall(this.components.connectionManager, peerIdFromString(worker), Protocols.cancel, env, { timeoutMs: 5_000, signal: this.abort.signal })
    } catch (err) {
      // the worker also learns on its next lease renewal
      this.log('cancel notice to %s failed: %s', worker, (err as Error).message)
    }
  }

  private async handleJobQuery (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const v = await verifyEnvelope(req, { domain: Domains.jobQuery, meshId: this.init.meshId, expectedSigner: remote, replay: this.replay })
    const q = decode(JobQuery, v.payload.body, 'job query')
    const rec = await this.store.get(q.jobId)
    if (rec == null) throw new JobNotFoundError(`no job ${q.jobId}`)
    if (rec.owner !== remote.toString()) throw new NotSubmitterError('only the job owner may query it')
    if (q.op === JobQuery.Op.CANCEL) return JobStatus.encode(toJobStatus(await this.cancel(q.jobId, remote), false))
    return JobStatus.encode(this.shown(rec, q.op === JobQuery.Op.RESULT))
  }

  async status (jobId: string, withResult = false): Promise<JobStatus> {
    const rec = await this.store.get(jobId)
    if (rec == null) throw new JobNotFoundError(`no job ${jobId}`)
    return this.shown(rec, withResult)
  }

  /** Jobs as owners see them (a job whose settlement is not yet durable shows its previous state). */
  async list (opts: { state?: JobState, limit?: number } = {}): Promise<JobStatus[]> {
    const recs = await this.store.list({ limit: opts.state == null ? opts.limit : undefined })
    const shown = recs.map(r => this.shown(r, false)).filter(s => opts.state == null || s.state === opts.state)
    return shown.slice(-(opts.limit ?? 1000))
  }

  /** what a job's owner is shown: never a terminal state ahead of its durable settlement */
  private shown (rec: JobRecord, withResult: boolean): JobStatus {
    return this.finishing.get(rec.id) ?? toJobStatus(rec, withResult)
  }

  /** jobs whose result is accepted but whose record or settlement is not yet durable: their previous status */
  private readonly finishing = new Map<string, JobStatus>()

  queueDepth (): number { return this.queued.size }

  /** claims waiting on session streams for work (idle worker slots ready to take a job at once) */
  get waitingClaims (): number { return this.parked.size }

  get isPaused (): boolean { return this.paused }

  /**
   * Ends a job's live attempt as failed (an isolated worker, a job stuck past its timeout): the job
   * is retried like any failed attempt, and the worker is told to stop. Returns false when the
   * attempt is no longer live.
   */
  async revokeAttempt (jobId: string, attempt: number, reason: string): Promise<boolean> {
    const rec = this.store.live.get(jobId)
    if (rec?.lease == null || rec.lease.attempt !== attempt) return false
    const now = Date.now()
    const previous = rec.state
    const lease = rec.lease
    const a = rec.attempts[rec.attempts.length - 1]
    if (a != null) { a.outcome = 'failed'; a.endedAt = now; a.reason = reason }
    this.retryOrFail(rec, `attempt ${attempt} revoked on ${lease.worker}: ${reason}`, now)
    await this.store.put(rec, previous)
    this.afterTransition(rec)
    void this.notifyCancel(rec.id, lease.worker, lease.attempt)
    return true
  }

  /** Announces up to `limit` queued jobs again from round 0 (after a resume, or to unstick them). */
  reannounce (limit = Infinity, ids?: Iterable<string>): number {
    let n = 0
    // operator state may have changed what waiting claims can take (a release, a drain's end)
    this.offerDue = true
    for (const id of ids ?? this.queued) {
      if (n >= limit) break
      const rec = this.store.live.get(id)
      if (rec?.state !== 'queued') continue
      rec.round = 0
      rec.lastAnnouncedAt = 0
      n++
    }
    return n
  }
}

export function toJobStatus (rec: JobRecord, withResult: boolean): JobStatus {
  const status: JobStatus = {
    jobId: rec.id,
    state: rec.state,
    executor: rec.executor,
    owner: rec.owner,
    coordinator: rec.coordinator,
    attempt: rec.attempt,
    maxAttempts: rec.maxAttempts,
    reason: rec.reason,
    createdAtMs: BigInt(rec.createdAt),
    updatedAtMs: BigInt(rec.updatedAt),
    timestamps: rec.timestamps.map(t => ({ state: t.state, atMs: BigInt(t.at) })),
    attempts: rec.attempts.map(a => ({
      attempt: a.attempt,
      worker: a.worker,
      assignedAtMs: BigInt(a.assignedAt),
      startedAtMs: BigInt(a.startedAt ?? 0),
      endedAtMs: BigInt(a.endedAt ?? 0),
      outcome: a.outcome,
      reason: a.reason ?? ''
    })),
    label: rec.label
  }
  if (withResult && rec.result != null) {
    const env = loadEnvelope(rec.result.envelope)
    status.signedResult = env
    // the envelope was verified when accepted; decode its body for the caller's convenience
    status.result = JobResult.decode(SignedPayload.decode(env.payload).body)
  }
  return status
}

function decode<T> (codec: { decode: (b: Uint8Array) => T }, bytes: Uint8Array, what: string): T {
  try {
    return codec.decode(bytes)
  } catch (err) {
    throw new MalformedMessageError(`${what} does not decode: ${(err as Error).message}`)
  }
}

export async function coordinatorsCid (meshId: string): Promise<CID> {
  const digest = await mfSha256.digest(new TextEncoder().encode(coordinatorsKey(meshId)))
  return CID.createV1(raw.code, digest)
}

export interface AnnouncementChecks {
  admission?: Pick<AdmissionCheck, 'isDenied'>
  authority?: Pick<CoordinatorAuthority, 'isGranted'>
  /** charges a direct publisher that holds no grant */
  guard?: () => PeerGuard
  /** whether that charge applies to this publisher now (default: yes) */
  mayCharge?: (peer: string) => boolean
}

/**
 * Gossip validator for the jobs topic: only well-formed, unexpired announcements signed by a
 * granted coordinator. Gossipsub charges a Reject to the relay, not the author, so what depends on
 * this node's knowledge (grants, the blacklist) is Ignore, and an ungranted author that handed us
 * the message itself is charged in the peer guard.
 */
export function announcementValidator (meshId: string, checks: AnnouncementChecks = {}) {
  return async (peer: PeerId, msg: GossipMessage): Promise<TopicValidatorResult> => {
    if (msg.type !== 'signed') return TopicValidatorResult.Reject
    // a blacklisted publisher's messages are dropped even when relayed by others; Ignore, not
    // Reject: the relay may not have learned of the blacklist yet and must not be penalised
    if (checks.admission?.isDenied(msg.from.toString()) === true) return TopicValidatorResult.Ignore
    if (checks.authority != null && !checks.authority.isGranted(msg.from.toString())) {
      if (peer.equals(msg.from) && (checks.mayCharge?.(peer.toString()) ?? true)) checks.guard?.().reject(peer, msg.topic, 'NotGrantedCoordinatorError')
      return TopicValidatorResult.Ignore
    }
    try {
      const env = SignedEnvelope.decode(msg.data)
      const v = await verifyEnvelope(env, { domain: Domains.announce, meshId, expectedSigner: msg.from })
      JobAnnouncement.decode(v.payload.body)
      return TopicValidatorResult.Accept
    } catch (err) {
      return (err as Error).name === 'MessageExpiredError' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
    }
  }
}
