// The application user's side: submit signed jobs and follow them, on the local coordinator when
// this node is one, otherwise over the mesh to a coordinator found in the DHT or among connected peers.
import { CustomProgressEvent } from 'progress-events'
import type { SubmitProgressOptions } from './progress.js'
import { openLevel } from '../util/open-level.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId, ContentRouting, PeerStore } from '@libp2p/interface'
import type { Connection } from '@libp2p/interface'
import { Level } from 'level'
import { rpcCall, type RpcDialer } from '../rpc/reqresp.js'
import { Protocols, Domains } from '../wire/domains.js'
import type { Signer } from '../wire/signed.js'
import type { SignedEnvelope } from '../wire/pb/envelope.js'
import { JobQuery, JobStatus } from '../wire/pb/jobs.js'
import { buildJobSpec, signJobSpec, type JobSpecInput } from './job-spec.js'
import { coordinatorsCid } from './coordinators-cid.js'
import type { CoordinatorAuthority } from './authority.js'
import { toJobStatus } from './status.js'
import type { JobStore } from './job-store.js'
import { NotGrantedCoordinatorError } from '../errors/index.js'
import { JobNotFoundError, NoCoordinatorError } from '../errors/index.js'
import type { JobRecord, JobState } from './types.js'
import { waitForJob, type JobOutcome, type WaitOptions } from './wait.js'

export interface MeshDialer extends RpcDialer {
  getConnections (peer?: PeerId): Connection[]
}

/** What the client asks of a coordinator running on this node (the coordinator service is one). */
export interface LocalCoordinator {
  readonly store: Pick<JobStore, 'get'>
  submit: (env: SignedEnvelope) => Promise<string>
  status: (jobId: string, withResult?: boolean) => Promise<JobStatus>
  list: (opts?: { state?: JobState, limit?: number }) => Promise<JobStatus[]>
  cancel: (jobId: string) => Promise<JobRecord>
}

export interface JobClientDeps {
  meshId: string
  signer: Signer
  dialer: MeshDialer
  contentRouting: ContentRouting
  peerStore: PeerStore
  coordinator?: LocalCoordinator
  /** where submitted job ids are remembered; memory when absent */
  indexPath?: string
  /** told of each coordinator a job went to (its log is one this node now follows) */
  onSubmitted?: (coordinator: string) => void
  /** the mesh's coordinator grants: jobs go to granted coordinators only; absent: any */
  authority?: CoordinatorAuthority
}

export interface SubmitOptions extends SubmitProgressOptions { signal?: AbortSignal, coordinator?: string }

export class JobClient {
  private readonly index?: Level<string, string>
  private readonly memoryIndex = new Map<string, string>()

  constructor (private readonly deps: JobClientDeps) {
    if (deps.indexPath != null) this.index = new Level<string, string>(deps.indexPath, { valueEncoding: 'utf8' })
  }

  async open (): Promise<void> { if (this.index != null) await openLevel(this.index, `submitted-jobs index ${this.index.location}`) }
  /** the submitted-jobs index, for consistent snapshots (src/ops/backup.ts) */
  get database (): Level<string, string> | undefined { return this.index }
  async close (): Promise<void> { await this.index?.close() }

  /** Signs and submits a job; returns its id. */
  async submit (input: JobSpecInput, opts: SubmitOptions = {}): Promise<string> {
    opts.signal?.throwIfAborted()
    const local = this.deps.coordinator
    const target = opts.coordinator ?? input.coordinator
    const spec = buildJobSpec({ ...input, coordinator: target ?? (local != null ? this.deps.signer.peerId.toString() : '') })
    const env = await signJobSpec(this.deps.signer, spec)
    opts.onProgress?.(new CustomProgressEvent('edgecoder:submit:signed', { executor: spec.executor }))
    if (local != null && (spec.coordinator === '' || spec.coordinator === this.deps.signer.peerId.toString())) {
      const self = this.deps.signer.peerId.toString()
      opts.onProgress?.(new CustomProgressEvent('edgecoder:submit:sending', { coordinator: self }))
      const id = await local.submit(env)
      await this.remember(id, self)
      opts.onProgress?.(new CustomProgressEvent('edgecoder:submit:accepted', { jobId: id, coordinator: self }))
      return id
    }
    if (spec.coordinator !== '') this.checkGranted(spec.coordinator, `--coordinator ${spec.coordinator} is not a coordinator of this mesh`)
    const candidates = spec.coordinator !== '' ? [peerIdFromString(spec.coordinator)] : await this.awaitCoordinators(opts.signal)
    let lastErr: Error | undefined
    for (const c of candidates) {
      opts.onProgress?.(new CustomProgressEvent('edgecoder:submit:sending', { coordinator: c.toString() }))
      try {
        const body = await rpcCall(this.deps.dialer, c, Protocols.submit, env, { signal: opts.signal })
        const id = new TextDecoder().decode(body)
        await this.remember(id, c.toString())
        opts.onProgress?.(new CustomProgressEvent('edgecoder:submit:accepted', { jobId: id, coordinator: c.toString() }))
        return id
      } catch (err) {
        lastErr = err as Error
        opts.onProgress?.(new CustomProgressEvent('edgecoder:submit:refused', { coordinator: c.toString(), error: lastErr.name }))
        if (lastErr.name === 'InvalidJobSpecError') throw lastErr
      }
    }
    throw lastErr ?? new NoCoordinatorError('no coordinator found in the mesh (check the bootstrap file and that a coordinator is running)')
  }

  /**
   * Coordinators, waiting a little for the mesh: right after start, connections may still be
   * identifying and the DHT may be empty.
   */
  async awaitCoordinators (signal?: AbortSignal, waitMs = 10_000): Promise<PeerId[]> {
    const deadline = Date.now() + waitMs
    let delay = 50
    for (;;) {
      const found = await this.findCoordinators(signal)
      if (found.length > 0 || Date.now() >= deadline) return found
      signal?.throwIfAborted()
      await new Promise(resolve => setTimeout(resolve, delay))
      delay = Math.min(delay * 2, 1_000)
    }
  }

  private granted (peer: string): boolean { return this.deps.authority?.isGranted(peer) ?? true }

  private checkGranted (peer: string, what: string): void {
    const a = this.deps.authority
    if (a == null || a.isGranted(peer)) return
    throw new NotGrantedCoordinatorError(`${what}: ${a.standing(peer).why}`)
  }

  /** Granted coordinators: connected peers that speak the claim protocol first, then DHT providers. */
  async findCoordinators (signal?: AbortSignal): Promise<PeerId[]> {
    const found = new Map<string, PeerId>()
    for (const conn of this.deps.dialer.getConnections()) {
      try {
        const peer = await this.deps.peerStore.get(conn.remotePeer)
        // the peer store also records protocols a peer merely dialled us with: trust identify's agent role
        const agent = new TextDecoder().decode(peer.metadata.get('AgentVersion') ?? new Uint8Array(0))
        const role = /role=(\w+)/.exec(agent)?.[1]
        if (peer.protocols.includes(Protocols.claim) && (role == null || role === 'coordinator') && this.granted(conn.remotePeer.toString())) found.set(conn.remotePeer.toString(), conn.remotePeer)
      } catch {}
    }
    if (found.size > 0) return [...found.values()]
    try {
      const s = AbortSignal.any([AbortSignal.timeout(3_000), ...(signal != null ? [signal] : [])])
      for await (const p of this.deps.contentRouting.findProviders(await coordinatorsCid(this.deps.meshId), { signal: s })) {
        // anyone can provide the record: only a granted coordinator is one
        if (!this.granted(p.id.toString())) continue
        if (p.multiaddrs.length > 0) await this.deps.peerStore.merge(p.id, { multiaddrs: p.multiaddrs }).catch(() => {})
        found.set(p.id.toString(), p.id)
        break
      }
    } catch {}
    return [...found.values()]
  }

  async status (jobId: string, opts: { signal?: AbortSignal } = {}): Promise<JobStatus> {
    return await this.query(jobId, JobQuery.Op.STATUS, opts.signal)
  }

  async result (jobId: string, opts: { signal?: AbortSignal } = {}): Promise<JobStatus> {
    return await this.query(jobId, JobQuery.Op.RESULT, opts.signal)
  }

  async cancel (jobId: string, opts: { signal?: AbortSignal } = {}): Promise<JobStatus> {
    return await this.query(jobId, JobQuery.Op.CANCEL, opts.signal)
  }

  /** Jobs: all of this coordinator's, or the ones this node submitted. */
  async list (opts: { state?: JobState, limit?: number, signal?: AbortSignal } = {}): Promise<JobStatus[]> {
    if (this.deps.coordinator != null) {
      return await this.deps.coordinator.list({ state: opts.state, limit: opts.limit })
    }
    const out: JobStatus[] = []
    for (const id of await this.submittedIds()) {
      try {
        const s = await this.status(id, opts)
        if (opts.state == null || s.state === opts.state) out.push(s)
      } catch {}
    }
    return out.slice(-(opts.limit ?? 1000))
  }

  /**
   * Resolves when the job reaches a terminal state, with its result and `output`. `timeoutMs`:
   * gives up with WaitTimeoutError saying where the job is (it goes on); `onProgress` hears each
   * change of state or attempt.
   */
  async wait (jobId: string, opts: WaitOptions = {}): Promise<JobOutcome> {
    return await waitForJob(this, jobId, opts)
  }

  private async query (jobId: string, op: JobQuery.Op, signal?: AbortSignal): Promise<JobStatus> {
    const local = this.deps.coordinator
    if (local != null && (await local.store.get(jobId)) != null) {
      if (op === JobQuery.Op.CANCEL) return toJobStatus(await local.cancel(jobId), false)
      return await local.status(jobId, op === JobQuery.Op.RESULT)
    }
    const coord = await this.coordinatorOf(jobId)
    if (coord == null) throw new JobNotFoundError(`no job ${jobId} known to this node`)
    const env = await this.deps.signer.sign(Domains.jobQuery, JobQuery.encode({ op, jobId }), 30_000)
    if (this.granted(coord)) return JobStatus.decode(await rpcCall(this.deps.dialer, peerIdFromString(coord), Protocols.job, env, { signal }))
    // its grant is gone: what it says is shown (a cancel frees the credits it holds), marked as such
    const revoked = `coordinator revoked (${this.deps.authority?.standing(coord).why ?? ''}); resubmit the job elsewhere`
    let s: JobStatus
    try {
      s = JobStatus.decode(await rpcCall(this.deps.dialer, peerIdFromString(coord), Protocols.job, env, { signal }))
    } catch (err) {
      throw new NotGrantedCoordinatorError(`job ${jobId}: ${revoked}`, { cause: err })
    }
    return { ...s, reason: s.reason !== '' ? `${revoked}; it says: ${s.reason}` : revoked }
  }

  private async remember (id: string, coordinator: string): Promise<void> {
    this.deps.onSubmitted?.(coordinator)
    if (this.index != null) await this.index.put(id, coordinator)
    else this.memoryIndex.set(id, coordinator)
  }

  private async coordinatorOf (id: string): Promise<string | undefined> {
    if (this.index != null) return await this.index.get(id)
    return this.memoryIndex.get(id)
  }

  private async submittedIds (): Promise<string[]> {
    if (this.index == null) return [...this.memoryIndex.keys()]
    const ids: string[] = []
    for await (const k of this.index.keys()) ids.push(k)
    return ids
  }
}
