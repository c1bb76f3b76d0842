// The worker: hears announcements, claims over a direct stream, verifies the signed assignment,
// runs the job with an executor while renewing its lease, and returns a signed result bound to the
// assignment. Idle workers learn of work from announcements (and from "more work" in result acks),
// never by polling on a timer.
import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { serviceCapabilities, serviceDependencies, type PeerId, type Startable, type ComponentLogger, type Logger, type Metrics, type PeerStore, type ContentRouting, type Libp2pEvents, type TypedEventTarget, type IdentifyResult } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { GossipSub, Message as GossipMessage } from '@libp2p/gossipsub'
import { RpcServer, rpcCall } from '../rpc/reqresp.js'
import { SessionClient } from '../rpc/session.js'
import { Protocols, Domains, jobsTopic } from '../wire/domains.js'
import { ReplayGuard, verifyEnvelope, sha256, ownBytes, toHex, type Signer, bytesEqual } from '../wire/signed.js'
import { SignedEnvelope, SignedPayload } from '../wire/pb/envelope.js'
import { type JobSpec, Assignment, ClaimRequest, ClaimResponse, JobAnnouncement, JobResult, LeaseRenewal, LeaseResponse, ResultAck, CancelNotice } from '../wire/pb/jobs.js'
import { verifyJobSpec } from './job-spec.js'
import { isSelectedBidder } from './bidders.js'
import { announcementValidator, coordinatorsCid, type CoordinatorAuthority } from './coordinator.js'
import type { ExecutorRegistry } from '../executors/registry.js'
import type { ExecutionOutcome } from '../executors/types.js'
import type { TypedEmitter } from '../util/typed-emitter.js'
import type { JobEvents } from './events.js'
import { AssignmentRejectedError, MalformedMessageError, ExecutionAbortedError } from '../errors/index.js'

export interface WorkerInit {
  meshId: string
  signer: Signer
  executors: ExecutorRegistry
  events: TypedEmitter<JobEvents>
  /** jobs run at once */
  slots?: number
  /** executors offered; default: every registered one */
  offer?: string[]
  maxOutputBytes?: number
  memoryLimitMb?: number
  /** how often coordinators are looked up in the DHT */
  discoveryIntervalMs?: number
  /** blacklisted publishers: their announcements are rejected */
  admission?: { isDenied: (peer: string) => boolean }
  /**
   * the mesh's coordinator grants: claims, assignments, lease renewals and results go to granted
   * coordinators only, however we learned of them; absent: any coordinator (embedding tests only)
   */
  authority?: CoordinatorAuthority
}

/** peers heard of as coordinators (announcement, identify, DHT) that hold no grant: kept for when one arrives */
const MAX_UNGRANTED = 256

export interface WorkerComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  peerStore: PeerStore
  contentRouting: ContentRouting
  logger: ComponentLogger
  metrics?: Metrics
  pubsub: GossipSub
  events: TypedEventTarget<Libp2pEvents>
}

/** delay before the first lease renewal */
const FIRST_RENEWAL_MS = 100
/** how long a claim waits for work at a coordinator (on the session stream) before it is renewed */
const PARKED_CLAIM_MS = 8_000

interface RunningJob {
  jobId: string
  coordinator: PeerId
  attempt: number
  abort: AbortController
  done: Promise<void>
}

export class WorkerService implements Startable {
  readonly [Symbol.toStringTag] = 'edgecoder/worker'
  readonly [serviceCapabilities] = ['@edgecoder/worker']
  readonly [serviceDependencies] = ['@libp2p/identify', '@libp2p/kad-dht']

  private readonly log: Logger
  private readonly rpc: RpcServer
  private readonly replay = new ReplayGuard()
  private readonly slots: number
  private reserved = 0
  private readonly running = new Map<string, RunningJob>()
  /** granted coordinators heard from (announcements, DHT, identify) */
  readonly coordinators = new Set<string>()
  /** peers that looked like coordinators but hold no grant (see MAX_UNGRANTED) */
  readonly ungranted = new Set<string>()
  private readonly abort = new AbortController()
  private discoveryTimer?: ReturnType<typeof setTimeout>
  private draining = false
  /** claims, lease renewals and results go over one session stream per coordinator */
  private readonly calls: SessionClient
  /** the one claim left waiting for work while a slot is free, and the coordinator holding it */
  private parked?: { coordinator: string, withdraw: AbortController, done: Promise<void> }
  private parkBackoffMs = 0
  private parkTimer?: ReturnType<typeof setTimeout>
  /** the coordinator that last gave us work: where a waiting claim goes */
  private lastWorkFrom?: string
  private readonly onMessage = (evt: CustomEvent<GossipMessage>): void => { void this.handleAnnouncement(evt.detail) }
  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    if (evt.detail.protocols.includes(Protocols.claim)) this.addCoordinator(evt.detail.peerId)
  }

  constructor (private readonly components: WorkerComponents, private readonly init: WorkerInit) {
    this.log = components.logger.forComponent('edgecoder:worker')
    this.rpc = new RpcServer(components, 'worker')
    this.slots = init.slots ?? 2
    const dialer = components.connectionManager
    this.calls = new SessionClient(dialer, async (peer, protocol, request, options) => await rpcCall(dialer, peer, protocol, request, options))
  }

  get offered (): string[] {
    const all = this.init.executors.names()
    return this.init.offer != null ? all.filter((n: string) => this.init.offer?.includes(n) === true) : all
  }

  get freeSlots (): number { return this.slots - this.reserved }
  get runningJobs (): string[] { return [...this.running.keys()] }

  async start (): Promise<void> {
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    await this.rpc.register({ protocol: Protocols.cancel, handle: async (req, ctx) => await this.handleCancel(req, ctx.remotePeer) })
  }

  afterStart (): void {
    // pubsub starts alongside us: subscribe only once every service is up
    const topic = jobsTopic(this.init.meshId)
    if (!this.components.pubsub.topicValidators.has(topic)) {
      this.components.pubsub.topicValidators.set(topic, announcementValidator(this.init.meshId, { admission: this.init.admission, authority: this.init.authority, guard: () => this.rpc.guard, mayCharge: p => this.init.authority?.mayCharge?.(p, this.components.peerId.toString()) ?? true }))
    }
    this.components.pubsub.addEventListener('message', this.onMessage)
    this.components.pubsub.subscribe(topic)
    void this.discover()
  }

  /** Finishes nothing new: running jobs are aborted and handed back (their leases lapse and requeue). */
  async stop (): Promise<void> {
    this.abort.abort()
    if (this.discoveryTimer != null) clearTimeout(this.discoveryTimer)
    if (this.parkTimer != null) clearTimeout(this.parkTimer)
    this.parked?.withdraw.abort()
    this.components.pubsub.removeEventListener('message', this.onMessage)
    try { this.components.pubsub.unsubscribe(jobsTopic(this.init.meshId)) } catch {}
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    for (const r of this.running.values()) r.abort.abort(new ExecutionAbortedError('worker stopping'))
    await Promise.allSettled([...this.running.values()].map(async r => await r.done))
    await this.calls.close()
    await this.rpc.unregisterAll()
  }

  /** Stops taking new work; resolves when running jobs have finished and reported. */
  async drain (signal?: AbortSignal): Promise<void> {
    this.draining = true
    // a waiting claim is withdrawn; if it was answered with work meanwhile, that job runs first
    const parked = this.parked
    parked?.withdraw.abort()
    await parked?.done
    while (this.running.size > 0) {
      signal?.throwIfAborted()
      await Promise.race([...this.running.values()].map(async r => await r.done))
    }
  }

  get isDraining (): boolean { return this.draining }

  /** Back to service after a drain: claim again from every coordinator we serve. */
  undrain (): void {
    this.draining = false
    for (const c of this.coordinators) void this.fill(peerIdFromString(c))
  }

  /**
   * Leaves one claim waiting for work at a coordinator (the last one that gave us work) while a
   * slot is free, so a new job reaches us in one message instead of gossip and a claim. It holds
   * no slot while it waits: announcements from other coordinators are still answered, and the
   * claim is withdrawn when the last slot fills.
   */
  private park (at?: string): void {
    if (this.parked != null || this.parkTimer != null || this.freeSlots <= 0 || this.draining || this.abort.signal.aborted) return
    const target = at ?? (this.lastWorkFrom != null && this.coordinators.has(this.lastWorkFrom) ? this.lastWorkFrom : this.coordinators.values().next().value)
    if (target == null) return
    const peer = peerIdFromString(target)
    if (!this.calls.supports(peer)) return
    const withdraw = new AbortController()
    const parked = { coordinator: target, withdraw, done: Promise.resolve() }
    this.parked = parked
    parked.done = this.waitForWork(peer, withdraw).finally(() => {
      if (this.parked === parked) this.parked = undefined
    })
  }

  private async waitForWork (peer: PeerId, withdraw: AbortController): Promise<void> {
    const t0 = Date.now()
    const got = await this.claimOnce(peer, '', { waitMs: PARKED_CLAIM_MS, withdraw: withdraw.signal })
    this.parked = undefined
    if (got.assigned) {
      this.parkBackoffMs = 0
      if (got.queueDepth > 0) await this.fill(peer)
      else this.park()
      return
    }
    if (withdraw.signal.aborted || this.abort.signal.aborted) return
    if (Date.now() - t0 >= PARKED_CLAIM_MS / 2) {
      this.parkBackoffMs = 0
      this.park()
      return
    }
    // answered early without work (paused, not admitted, the session broke): ask again later
    this.parkBackoffMs = Math.min(Math.max(250, this.parkBackoffMs * 2), PARKED_CLAIM_MS)
    this.parkTimer = setTimeout(() => { this.parkTimer = undefined; this.park() }, this.parkBackoffMs)
    this.parkTimer.unref?.()
  }

  private granted (peer: string): boolean { return this.init.authority?.isGranted(peer) ?? true }

  /**
   * The mesh's grants changed (or one lapsed): a coordinator that lost its grant gets no claim,
   * result or renewal from now on and its jobs here stop; one that gained it is served.
   */
  authorityChanged (): void {
    for (const id of [...this.coordinators]) {
      if (this.granted(id)) continue
      this.coordinators.delete(id)
      this.ungranted.add(id)
      this.log('coordinator %s lost its grant: no more work from it', id)
      if (this.parked?.coordinator === id) this.parked.withdraw.abort()
      for (const r of this.running.values()) {
        if (r.coordinator.toString() === id) r.abort.abort(new ExecutionAbortedError('coordinator grant removed'))
      }
    }
    for (const id of [...this.ungranted]) {
      if (!this.granted(id)) continue
      this.ungranted.delete(id)
      this.addCoordinator(peerIdFromString(id))
    }
  }

  private addCoordinator (peer: PeerId): void {
    if (peer.equals(this.components.peerId)) return
    const id = peer.toString()
    if (this.coordinators.has(id)) return
    if (!this.granted(id)) {
      // a peer that merely offers the claim protocol or provides the record gets no claim
      if (!this.ungranted.has(id) && this.ungranted.size < MAX_UNGRANTED) {
        this.ungranted.add(id)
        this.log('not serving %s: %s', id, this.init.authority?.standing(id).why)
      }
      return
    }
    this.coordinators.add(id)
    this.log('serving coordinator %s', id)
    // a new coordinator may already hold queued work: ask once
    void this.fill(peer)
  }

  private async discover (): Promise<void> {
    try {
      const cid = await coordinatorsCid(this.init.meshId)
      const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(10_000)])
      for await (const prov of this.components.contentRouting.findProviders(cid, { signal })) {
        if (prov.multiaddrs.length > 0) await this.components.peerStore.merge(prov.id, { multiaddrs: prov.multiaddrs }).catch(() => {})
        this.addCoordinator(prov.id)
      }
    } catch (err) {
      if (!this.abort.signal.aborted) this.log('coordinator discovery: %s', (err as Error).message)
    }
    if (this.abort.signal.aborted) return
    const interval = this.init.discoveryIntervalMs ?? (this.coordinators.size === 0 ? 2_000 : 60_000)
    this.discoveryTimer = setTimeout(() => { void this.discover() }, interval)
    this.discoveryTimer.unref?.()
  }

  private async handleAnnouncement (msg: GossipMessage): Promise<void> {
    if (msg.topic !== jobsTopic(this.init.meshId) || msg.type !== 'signed') return
    if (this.abort.signal.aborted || this.draining) return
    let ann: JobAnnouncement
    try {
      // the topic validator already checked the signature; decode only
      const env = SignedEnvelope.decode(msg.data)
      ann = JobAnnouncement.decode(SignedPayload.decode(env.payload).body)
    } catch {
      return
    }
    // the validator let only granted coordinators' announcements through; the grant may have gone since
    if (!this.granted(msg.from.toString())) return
    this.coordinators.add(msg.from.toString())
    this.init.events.emit('work:heard', { jobId: ann.jobId, coordinator: msg.from.toString() })
    if (!this.offered.includes(ann.executor) || this.freeSlots <= 0) return
    if (!isSelectedBidder(ann.jobId, ann.round, this.components.peerId.toString(), ann.bidderFractionPpm)) return
    const got = await this.claimOnce(msg.from, ann.jobId)
    // more queued behind it: fill the other free slots now rather than wait for more gossip
    if (got.assigned && got.queueDepth > 0) await this.fill(msg.from)
    else this.park()
  }

  /** Claims until the coordinator has no more work for us or our slots are full. */
  private async fill (coordinator: PeerId): Promise<void> {
    while (this.freeSlots > 0 && !this.abort.signal.aborted && !this.draining) {
      // on a session the claim is a waiting one: answered at once while there is work, and when
      // other workers emptied the queue first it stays as our waiting claim instead of coming
      // back "no work" to be sent again (half a claim exchange per job with 50 workers)
      if (this.parked == null && this.parkTimer == null && this.calls.supports(coordinator)) { this.park(coordinator.toString()); return }
      // our claim already waits there: the coordinator hands it queued work first, so a second
      // claim would only race other workers for the same job
      if (this.parked?.coordinator === coordinator.toString()) return
      const got = await this.claimOnce(coordinator, '')
      // an empty queue after our assignment: asking again would only be told "no work"
      if (!got.assigned || got.queueDepth === 0) break
    }
    this.park()
  }

  private claimRequest (freeSlots: number, claimNonce: Uint8Array<ArrayBuffer>, jobId = '', waitMs = 0): ClaimRequest {
    return { jobId, executors: this.offered, freeSlots, capacity: { cpuMillis: 0, memoryMb: this.init.memoryLimitMb ?? 256 }, claimNonce, waitMs }
  }

  /** One claim: whether it produced an assignment, and the jobs still queued there. */
  private async claimOnce (coordinator: PeerId, jobId: string, wait?: { waitMs: number, withdraw: AbortSignal }): Promise<{ assigned: boolean, queueDepth: number }> {
    const none = { assigned: false, queueDepth: 0 }
    if (this.freeSlots <= 0 || !this.granted(coordinator.toString())) return none
    // a waiting claim holds no slot until it is answered with work
    let holds = wait == null
    if (holds) {
      this.reserved++
      // our last free slot is taken: the claim waiting elsewhere would only overfill us
      if (this.freeSlots <= 0) this.parked?.withdraw.abort()
    }
    let started = false
    try {
      const claimNonce = randomBytes(16)
      const body = ClaimRequest.encode(this.claimRequest(this.freeSlots + (holds ? 1 : 0), claimNonce, jobId, wait?.waitMs ?? 0))
      const env = await this.init.signer.sign(Domains.claim, body, 30_000)
      const resBytes = await this.calls.call(coordinator, Protocols.claim, env, { signal: this.abort.signal, timeoutMs: (wait?.waitMs ?? 0) + 10_000, withdraw: wait?.withdraw })
      const res = ClaimResponse.decode(resBytes)
      if (res.status !== ClaimResponse.Status.ASSIGNED || res.assignment == null) return none
      // a withdrawn claim answered with work all the same runs it (one over our slots, briefly):
      // refusing would leave the job to wait out its lease
      if (!holds) { this.reserved++; holds = true }
      this.lastWorkFrom = coordinator.toString()
      const accepted = await this.acceptAssignment(res.assignment, coordinator, claimNonce)
      started = true
      this.startJob(accepted)
      return { assigned: true, queueDepth: res.queueDepth }
    } catch (err) {
      const e = err as Error
      if (e.name === 'AssignmentRejectedError') {
        this.init.events.emit('work:rejected', { coordinator: coordinator.toString(), reason: e.message, error: e.name })
      } else if (!this.abort.signal.aborted) {
        this.log('claim from %p failed: %s %s', coordinator, e.name, e.message)
      }
      return none
    } finally {
      if (!started && holds) this.reserved--
    }
  }

  /**
   * Everything a worker checks before running anything: the coordinator it asked signed it, for this
   * mesh and domain, unexpired, never seen before, naming this worker and answering this claim, and it
   * carries the owner's valid signed spec whose id is the job id.
   */
  async acceptAssignment (env: SignedEnvelope, coordinator: PeerId, claimNonce: Uint8Array): Promise<AcceptedAssignment> {
    try {
      if (!this.granted(coordinator.toString())) throw new AssignmentRejectedError(`${coordinator.toString()} is not a granted coordinator: ${this.init.authority?.standing(coordinator.toString()).why ?? ''}`)
      const v = await verifyEnvelope(env, { domain: Domains.assignment, meshId: this.init.meshId, expectedSigner: coordinator, replay: this.replay })
      let a: Assignment
      try { a = Assignment.decode(v.payload.body) } catch (err) { throw new MalformedMessageError(`assignment does not decode: ${(err as Error).message}`) }
      if (a.worker !== this.components.peerId.toString()) throw new AssignmentRejectedError(`assignment names worker ${a.worker}, not this worker`)
      if (!bytesEqual(a.claimNonce, claimNonce)) throw new AssignmentRejectedError('assignment does not answer this claim (claim nonce mismatch)')
      if (Number(a.leaseExpiresAtMs) <= Date.now()) throw new AssignmentRejectedError('assignment lease already expired')
      if (a.job == null) throw new AssignmentRejectedError('assignment carries no job spec')
      const spec = await verifyJobSpec(a.job, this.init.meshId)
      if (spec.id !== a.jobId) throw new AssignmentRejectedError('assignment job id does not match its signed spec')
      if (!this.offered.includes(spec.spec.executor)) throw new AssignmentRejectedError(`executor ${spec.spec.executor} is not offered here`)
      if (this.running.has(a.jobId)) throw new AssignmentRejectedError(`job ${a.jobId} is already running here`)
      return { assignment: a, digest: v.digest, coordinator, spec: spec.spec }
    } catch (err) {
      const e = err as Error
      throw e.name === 'AssignmentRejectedError' ? e : new AssignmentRejectedError(`${e.name}: ${e.message}`)
    }
  }

  private startJob (acc: AcceptedAssignment): void {
    const abort = new AbortController()
    const job: RunningJob = { jobId: acc.assignment.jobId, coordinator: acc.coordinator, attempt: acc.assignment.attempt, abort, done: Promise.resolve() }
    this.running.set(job.jobId, job)
    this.init.events.emit('work:assigned', { jobId: job.jobId, coordinator: acc.coordinator.toString(), attempt: job.attempt, executor: acc.spec.executor })
    let moreWork = false
    job.done = this.runJob(acc, abort)
      .then(async done => {
        moreWork = done?.ack.moreWork === true
        // the next job came with the ack (the result carried our claim): it takes this slot
        if (done?.ack.assignment != null && done.claimNonce != null) await this.startChained(done.ack.assignment, acc.coordinator, done.claimNonce)
      }, err => { this.log.error('job %s: %s', job.jobId, (err as Error).message) })
      .finally(() => {
        this.running.delete(job.jobId)
        this.reserved--
        // the slot is free only now: ask for the next job at once (or wait for one)
        if (moreWork) void this.fill(acc.coordinator)
        else this.park()
      })
  }

  /** Starts the assignment a result ack carried, holding a slot of its own (as a claim would). */
  private async startChained (env: SignedEnvelope, coordinator: PeerId, claimNonce: Uint8Array): Promise<void> {
    this.reserved++
    // our last free slot is taken: the claim waiting elsewhere would only overfill us
    if (this.freeSlots <= 0) this.parked?.withdraw.abort()
    let started = false
    try {
      const accepted = await this.acceptAssignment(env, coordinator, claimNonce)
      this.lastWorkFrom = coordinator.toString()
      this.startJob(accepted)
      started = true
    } catch (err) {
      const e = err as Error
      // refused (not ours, expired, replayed): the job waits out its lease and goes to someone else
      this.init.events.emit('work:rejected', { coordinator: coordinator.toString(), reason: e.message, error: e.name })
    } finally {
      if (!started) this.reserved--
    }
  }

  private async runJob (acc: AcceptedAssignment, abort: AbortController): Promise<{ ack: ResultAck, claimNonce?: Uint8Array } | undefined> {
    const { assignment: a, spec, coordinator } = acc
    const signal = AbortSignal.any([abort.signal, this.abort.signal])
    const lease = this.keepLease(acc, abort)
    let outcome: ExecutionOutcome | undefined
    let error: Error | undefined
    const t0 = Date.now()
    try {
      const executor = this.init.executors.get(spec.executor)
      outcome = await executor.execute({
        jobId: a.jobId,
        input: spec.input,
        args: spec.args,
        module: spec.module.byteLength > 0 ? spec.module : undefined,
        delayMs: spec.delayMs,
        timeoutMs: spec.timeoutMs,
        maxOutputBytes: this.init.maxOutputBytes ?? 1024 * 1024,
        memoryLimitMb: Math.min(spec.resources?.memoryMb ?? 64, this.init.memoryLimitMb ?? 256) || 64,
        signal
      })
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err))
    } finally {
      lease.stop()
    }
    if (abort.signal.aborted || this.abort.signal.aborted) {
      // cancelled, lost or stopping: nothing to report (a lost attempt's result would be refused)
      this.init.events.emit('work:aborted', { jobId: a.jobId, attempt: a.attempt, reason: String((abort.signal.reason as Error | undefined)?.message ?? 'stopping') })
      return
    }
    const output = ownBytes(outcome?.output ?? new Uint8Array(0))
    // the slot this result frees is claimed in the same signed message (not while draining)
    const claimNonce = this.draining ? undefined : randomBytes(16)
    const result: JobResult = {
      jobId: a.jobId,
      attempt: a.attempt,
      assignmentDigest: acc.digest,
      output,
      exitCode: outcome?.exitCode ?? -1,
      outputDigest: sha256(output),
      resources: { wallMs: whole(outcome?.wallMs ?? Date.now() - t0), cpuMs: whole(outcome?.cpuMs ?? 0), maxRssKb: whole(outcome?.maxRssKb ?? 0) },
      error: error?.name ?? '',
      errorMessage: error?.message.slice(0, 1000) ?? '',
      stderr: ownBytes((outcome?.stderr ?? new Uint8Array(0)).slice(0, 64 * 1024)),
      ...(claimNonce != null ? { nextClaim: this.claimRequest(this.freeSlots + 1, claimNonce) } : {})
    }
    const env = await this.init.signer.sign(Domains.result, JobResult.encode(result), 10 * 60_000)
    this.init.events.emit('work:finished', { jobId: a.jobId, coordinator: coordinator.toString(), attempt: a.attempt, exitCode: result.exitCode, error: error?.name, wallMs: Date.now() - t0 })
    const ack = await this.sendResult(coordinator, env, a)
    if (ack == null) return undefined
    this.init.events.emit('work:acked', { jobId: a.jobId, coordinator: coordinator.toString(), attempt: a.attempt, resultDigest: toHex(sha256(env.payload)), assignmentDigest: toHex(acc.digest), payable: result.error === '' })
    return { ack, claimNonce }
  }

  /** Delivers a result, retrying through brief outages (a coordinator restart) until it is refused. */
  private async sendResult (coordinator: PeerId, env: SignedEnvelope, a: Assignment): Promise<ResultAck | undefined> {
    let delay = 100
    for (let i = 0; i < 12 && !this.abort.signal.aborted; i++) {
      // a coordinator whose grant went while the job ran gets nothing from us
      if (!this.granted(coordinator.toString())) {
        this.init.events.emit('work:refused', { jobId: a.jobId, coordinator: coordinator.toString(), attempt: a.attempt, error: 'NotGrantedCoordinatorError', reason: 'the coordinator lost its grant: result not sent' })
        return undefined
      }
      try {
        return ResultAck.decode(await this.calls.call(coordinator, Protocols.result, env, { signal: this.abort.signal, timeoutMs: 10_000 }))
      } catch (err) {
        const e = err as Error
        if (['StaleAttemptError', 'NotAssigneeError', 'JobNotFoundError', 'MalformedMessageError', 'InvalidSignatureError', 'NotAdmittedError'].includes(e.name)) {
          this.log('result for %s refused: %s %s', a.jobId, e.name, e.message)
          this.init.events.emit('work:refused', { jobId: a.jobId, coordinator: coordinator.toString(), attempt: a.attempt, error: e.name, reason: e.message })
          return undefined
        }
        await new Promise(resolve => setTimeout(resolve, delay))
        delay = Math.min(delay * 2, 5_000)
      }
    }
    return undefined
  }

  private keepLease (acc: AcceptedAssignment, abort: AbortController): { stop: () => void } {
    const { assignment: a, coordinator } = acc
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let expiresAt = Number(a.leaseExpiresAtMs)
    const leaseMs = Math.max(500, expiresAt - Date.now())
    const renew = async (): Promise<void> => {
      if (stopped) return
      try {
        const body = LeaseRenewal.encode({ jobId: a.jobId, attempt: a.attempt, assignmentDigest: acc.digest, running: true })
        const env = await this.init.signer.sign(Domains.lease, body, 30_000)
        const res = LeaseResponse.decode(await this.calls.call(coordinator, Protocols.lease, env, { signal: this.abort.signal, timeoutMs: Math.max(1_000, Math.floor(leaseMs / 2)) }))
        if (res.status === LeaseResponse.Status.CANCELLED) { abort.abort(new ExecutionAbortedError('job cancelled')); return }
        if (res.status === LeaseResponse.Status.LOST) { abort.abort(new ExecutionAbortedError('lease lost')); return }
        expiresAt = Number(res.leaseExpiresAtMs)
      } catch (err) {
        this.log('lease renewal for %s failed: %s', a.jobId, (err as Error).message)
        // past our own lease the coordinator will requeue: stop wasting work
        if (Date.now() > expiresAt) { abort.abort(new ExecutionAbortedError('lease lapsed')); return }
      }
      if (!stopped) {
        timer = setTimeout(() => { void renew() }, Math.max(100, Math.floor(leaseMs / 3)))
        timer.unref?.()
      }
    }
    // the first renewal (which marks the job running) waits a moment: a short job's result gets
    // there first and says the same, saving a stream, a signature and a store write per job
    timer = setTimeout(() => { void renew() }, Math.min(FIRST_RENEWAL_MS, Math.floor(leaseMs / 3)))
    timer.unref?.()
    return { stop: () => { stopped = true; if (timer != null) clearTimeout(timer) } }
  }

  private async handleCancel (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const v = await verifyEnvelope(req, { domain: Domains.cancelNotice, meshId: this.init.meshId, expectedSigner: remote, replay: this.replay })
    let n: CancelNotice
    try { n = CancelNotice.decode(v.payload.body) } catch (err) { throw new MalformedMessageError(`cancel notice does not decode: ${(err as Error).message}`) }
    const job = this.running.get(n.jobId)
    // only the coordinator that assigned the job may cancel it here
    if (job != null && job.coordinator.equals(remote) && job.attempt === n.attempt) {
      job.abort.abort(new ExecutionAbortedError('job cancelled'))
    }
    return new Uint8Array(0)
  }

  /**
   * A coordinator admitted us (its enrollment answer): ask it for work now rather than at the next
   * announcement, through a waiting claim where we can (a plain claim would withdraw the one we
   * may already have waiting there).
   */
  admittedBy (coordinator: PeerId): void {
    if (!this.coordinators.has(coordinator.toString()) || this.parked?.coordinator === coordinator.toString()) return
    void this.fill(coordinator)
  }

  /** For tests and tools: claims from a specific coordinator now. */
  async claimFrom (coordinator: string | PeerId): Promise<boolean> {
    return (await this.claimOnce(typeof coordinator === 'string' ? peerIdFromString(coordinator) : coordinator, '')).assigned
  }
}

/** An app's executor may report fractions or junk: the wire wants whole non-negative numbers. */
function whole (n: number): bigint {
  return Number.isFinite(n) && n > 0 ? BigInt(Math.round(n)) : 0n
}

export interface AcceptedAssignment {
  assignment: Assignment
  digest: Uint8Array<ArrayBuffer>
  coordinator: PeerId
  spec: JobSpec
}
