// The embedding API: one call starts a coordinator, worker or client inside any app.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p, PrivateKey, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createMeshLibp2p, VERSION, type MeshServices, type MeshInstrumentation } from '../mesh/create-libp2p.js'
import { BootstrapDialer } from '../mesh/bootstrap-dialer.js'
import { DEFAULT_MESH_ID, MESH_ID_PATTERN, loadBootstrapFile, parseBootstrapConfig, type BootstrapConfig } from '../mesh/bootstrap-file.js'
import { createSigner, type Signer } from '../wire/signed.js'
import { CoordinatorService, type CoordinatorComponents } from '../jobs/coordinator.js'
import { WorkerService, type WorkerComponents } from '../jobs/worker.js'
import { JobClient, type MeshDialer } from '../jobs/client.js'
import { JobStore } from '../jobs/job-store.js'
import { TypedEmitter } from '../util/typed-emitter.js'
import type { JobEvents } from '../jobs/events.js'
import { createDefaultExecutors, type ExecutorRegistry } from '../executors/registry.js'
import type { Executor } from '../executors/types.js'
import type { Role } from '../identity/data-dir.js'
import { DataDirFiles } from '../identity/data-dir.js'
import { DataDirLockedError, InvalidConfigError } from '../errors/index.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CoordinatorLedger } from '../ledger/coordinator-ledger.js'
import { LedgerReplica, type LedgerFetcher } from '../ledger/replica.js'
import { LedgerService, type LedgerServiceComponents } from '../ledger/ledger-service.js'
import type { Policy } from '../ledger/policy.js'

export interface CreateNodeOptions {
  role: Role
  /** persistent state lives here (job store, submitted-jobs index); a temp dir when absent */
  dataDir?: string
  /** identity; a fresh Ed25519 key when absent */
  privateKey?: PrivateKey
  /** mesh to join; from the bootstrap config when given, else "edgecoder-local" */
  meshId?: string
  /** bootstrap peers: a config object, a path to a bootstrap file, or multiaddr strings */
  bootstrap?: BootstrapConfig | string | string[]
  listen?: string[]
  /** worker: jobs at once */
  slots?: number
  /** worker: commands the process executor may run */
  processAllowlist?: string[]
  /** worker: extra executors (an app's own) */
  executors?: Executor[]
  /** worker: executors offered (default all) */
  offer?: string[]
  /** coordinator: lease length */
  leaseMs?: number
  /** coordinator: base retry backoff */
  retryBackoffMs?: number
  /** coordinator: the policy written into a new ledger */
  policy?: Policy
  /** coordinator: checkpoint after this many entries or this long */
  checkpointEvery?: number
  checkpointIntervalMs?: number
  /** worker: an acknowledged result missing from the log this long after is evidence */
  receiptGraceMs?: number
  signal?: AbortSignal
  /** counters for benchmarks and ops (libp2p metrics, gossipsub metrics register) */
  instrumentation?: MeshInstrumentation
}

export interface EdgecoderNode {
  readonly role: Role
  readonly meshId: string
  readonly peerId: PeerId
  readonly libp2p: Libp2p<MeshServices & Record<string, unknown>>
  readonly events: TypedEmitter<JobEvents>
  readonly jobs: JobClient
  readonly coordinator?: CoordinatorService
  readonly worker?: WorkerService
  readonly executors: ExecutorRegistry
  /** coordinators: this node's own credit ledger */
  readonly ledger?: CoordinatorLedger
  /** other roles: replicas of the coordinators' logs this node deals with */
  readonly replica?: LedgerReplica
  readonly ledgerService: LedgerService
  readonly signer: Signer
  multiaddrs (): Multiaddr[]
  /** Stops the node: workers hand back running work, stores close, nothing half-written. */
  stop (): Promise<void>
}

export async function createNode (opts: CreateNodeOptions): Promise<EdgecoderNode> {
  opts.signal?.throwIfAborted()
  const boot = await resolveBootstrap(opts)
  const meshId = opts.meshId ?? boot?.meshId ?? DEFAULT_MESH_ID
  if (!MESH_ID_PATTERN.test(meshId)) throw new InvalidConfigError(`meshId "${meshId}" must be 1-64 letters, digits, ".", "_" or "-"`)
  if (boot != null && opts.meshId != null && boot.meshId !== opts.meshId) {
    throw new InvalidConfigError(`bootstrap config is for mesh "${boot.meshId}" but meshId "${opts.meshId}" was given`)
  }
  const privateKey = opts.privateKey ?? await generateKeyPair('Ed25519')
  const signer = createSigner(privateKey, meshId)
  const events = new TypedEmitter<JobEvents>()
  let tempDir: string | undefined
  const dataDir = opts.dataDir ?? (tempDir = await mkdtemp(join(tmpdir(), 'edgecoder-node-')))

  const executors = createDefaultExecutors({ processAllowlist: opts.processAllowlist ?? [] })
  for (const e of opts.executors ?? []) executors.register(e)

  // local stores first: a locked or broken data dir fails before anything joins the mesh
  const closers: Array<() => Promise<void>> = []
  const closeAll = async (): Promise<void> => { for (const c of closers.splice(0).reverse()) await c().catch(() => {}) }
  let store: JobStore | undefined
  let ledger: CoordinatorLedger | undefined
  let replica: LedgerReplica | undefined
  // the replica reaches the network through the ledger service, which exists only once libp2p does
  let ledgerService: LedgerService | undefined
  const fetcher: LedgerFetcher = {
    sync: (log, from, to, signal) => (ledgerService as LedgerService).sync(log, from, to, signal),
    consistency: async (log, from, to, signal) => await (ledgerService as LedgerService).consistency(log, from, to, signal),
    latestCheckpoint: async (log, signal) => await (ledgerService as LedgerService).latestCheckpoint(log, signal)
  }
  try {
    if (opts.role === 'coordinator') {
      store = new JobStore(join(dataDir, DataDirFiles.jobsDb))
      await store.open()
      const st = store
      closers.push(async () => { await st.close() })
      const peer = peerIdFromPrivateKey(privateKey).toString()
      ledger = new CoordinatorLedger({
        path: join(dataDir, DataDirFiles.ledgerDb),
        meshId,
        owner: peer,
        privateKey,
        genesisPolicy: opts.policy,
        checkpointEvery: opts.checkpointEvery,
        checkpointIntervalMs: opts.checkpointIntervalMs,
        onCheckpoint: note => {
          events.emit('ledger:checkpoint', { log: peer, size: ledger?.checkpointSize ?? 0 })
          void ledgerService?.publish(note)
        }
      })
      await ledger.open()
      const l = ledger
      closers.push(async () => { await l.close() })
    } else {
      replica = new LedgerReplica({
        path: join(dataDir, DataDirFiles.replicaDb),
        meshId,
        self: peerIdFromPrivateKey(privateKey).toString(),
        fetcher,
        receiptGraceMs: opts.receiptGraceMs,
        onAlert: e => { events.emit('ledger:alert', { log: e.log, kind: e.kind, detail: e.detail, evidenceId: e.id }) }
      })
      await replica.open()
      const r = replica
      closers.push(async () => { await r.close() })
    }
  } catch (err) {
    await closeAll()
    throw err
  }
  const services: Record<string, (components: any) => unknown> = {} // eslint-disable-line @typescript-eslint/no-explicit-any -- libp2p's Components type is internal
  if (opts.role === 'coordinator' && store != null) {
    const s = store
    services.coordinator = (components: CoordinatorComponents) => new CoordinatorService(components, { meshId, signer, store: s, events, leaseMs: opts.leaseMs, retryBackoffMs: opts.retryBackoffMs, ledger })
  }
  if (opts.role === 'worker') {
    services.worker = (components: WorkerComponents) => new WorkerService(components, { meshId, signer, executors, events, slots: opts.slots, offer: opts.offer })
  }
  services.ledger = (components: LedgerServiceComponents) => new LedgerService(components, { meshId, signer, own: ledger, jobs: store, replica })
  let libp2p: Libp2p<MeshServices & Record<string, unknown>>
  try {
    libp2p = await createMeshLibp2p({
      privateKey,
      meshId,
      listen: opts.listen ?? ['/ip4/127.0.0.1/tcp/0'],
      userAgent: `edgecoder-node/${VERSION} role=${opts.role}`,
      services,
      instrumentation: opts.instrumentation
    }) as Libp2p<MeshServices & Record<string, unknown>>
  } catch (err) {
    await closeAll()
    throw err
  }
  ledgerService = libp2p.services.ledger as LedgerService
  // a worker follows the logs of the coordinators that pay it, and keeps its receipts
  events.on('work:acked', d => {
    ledgerService?.track(d.coordinator)
    void replica?.addReceipt({ jobId: d.jobId, log: d.coordinator, resultDigest: d.resultDigest, assignmentDigest: d.assignmentDigest, ackedAt: Date.now() })
  })
  const coordinator = libp2p.services.coordinator as CoordinatorService | undefined
  const worker = libp2p.services.worker as WorkerService | undefined
  const jobs = new JobClient({
    meshId,
    signer,
    dialer: meshDialer(libp2p),
    contentRouting: libp2p.contentRouting,
    peerStore: libp2p.peerStore,
    coordinator,
    indexPath: opts.role === 'coordinator' ? undefined : join(dataDir, DataDirFiles.clientDb),
    onSubmitted: c => { ledgerService?.track(c) }
  })
  try {
    await jobs.open()
  } catch (err) {
    // another process holds this data dir: leave nothing running behind the error
    await libp2p.stop()
    await closeAll()
    const msg = `${(err as Error).message} ${((err as { cause?: Error }).cause)?.message ?? ''}`
    throw /lock/i.test(msg) ? new DataDirLockedError(`data dir ${dataDir} is in use by another process`) : err
  }
  const dialer = new BootstrapDialer(libp2p, boot?.peers ?? [])
  dialer.start()

  let stopped = false
  const node: EdgecoderNode = {
    role: opts.role,
    meshId,
    peerId: libp2p.peerId,
    libp2p,
    events,
    jobs,
    coordinator,
    worker,
    executors,
    ledger,
    replica,
    ledgerService,
    signer,
    multiaddrs: () => libp2p.getMultiaddrs(),
    async stop () {
      if (stopped) return
      stopped = true
      dialer.stop()
      await libp2p.stop()
      await jobs.close()
      await closeAll()
      if (tempDir != null) await rm(tempDir, { recursive: true, force: true })
    }
  }
  opts.signal?.addEventListener('abort', () => { void node.stop() }, { once: true })
  return node
}

/** What the job client needs of libp2p: open a stream, list connections. */
function meshDialer (libp2p: Libp2p): MeshDialer {
  return {
    openStream: async (peer, protocol, options) => await libp2p.dialProtocol(peer, protocol, options),
    getConnections: (peer?: PeerId) => libp2p.getConnections(peer)
  }
}

async function resolveBootstrap (opts: CreateNodeOptions): Promise<BootstrapConfig | undefined> {
  const b = opts.bootstrap
  if (b == null) return undefined
  if (typeof b === 'string') return await loadBootstrapFile(b)
  if (Array.isArray(b)) return parseBootstrapConfig({ meshId: opts.meshId ?? DEFAULT_MESH_ID, peers: b }, 'bootstrap option')
  return b
}

export { VERSION }
