// The composition root: builds the stores and services a role runs and wires them into one libp2p node. Apps use src/node/node.ts (the package's createNode), which wraps this.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p, PeerId } from '@libp2p/interface'
import { createMeshLibp2p, VERSION, type MeshServices } from '../mesh/create-libp2p.js'
import type { CreateNodeOptions, EdgecoderNode, EdgecoderServices, EdgecoderServiceFactories } from './types.js'
import { BootstrapDialer } from '../mesh/bootstrap-dialer.js'
import { DEFAULT_MESH_ID, MESH_ID_PATTERN, loadBootstrapFile, parseBootstrapConfig, type BootstrapConfig } from '../mesh/bootstrap-file.js'
import { createSigner } from '../wire/signed.js'
import { coordinatorService } from '../jobs/coordinator/index.js'
import { workerService } from '../jobs/worker/index.js'
import { JobClient, type MeshDialer } from '../jobs/client.js'
import { JobStore } from '../jobs/job-store.js'
import { TypedEmitter } from '../util/typed-emitter.js'
import type { JobEvents } from '../jobs/events.js'
import { createDefaultExecutors } from '../executors/registry.js'
import { DataDirFiles } from '../identity/data-dir.js'
import { DataDirLockedError, InvalidConfigError, InvalidStateError } from '../errors/index.js'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { CoordinatorLedger } from '../ledger/coordinator-ledger.js'
import { LedgerReplica, type LedgerFetcher } from '../ledger/replica.js'
import { ledgerService as ledgerServiceFactory, type LedgerService } from '../ledger/ledger-service.js'
import { DEFAULT_POLICY } from '../ledger/policy.js'
import { signAdminAction } from '../admission/admin-actions.js'
import { AdmissionDb } from '../admission/db.js'
import { AdmissionState } from '../admission/admission-state.js'
import { admissionService, statusName } from '../admission/admission-service.js'
import { AdminAction, EnrollResponse } from '../wire/pb/admission.js'
import { signAuthorityAction } from '../admission/admin-actions.js'
import { SignedEnvelope } from '../wire/pb/envelope.js'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { NodeOps } from '../ops/node-ops/index.js'
import { opsService } from '../ops/ops-service.js'
import { parseAction } from '../ops/operator-action.js'
import { STORES, StoreRegistry } from '../identity/store-registry.js'
import { RestoreGuard } from '../ledger/restore-guard.js'
import { heldLedgerGate } from '../jobs/dispatch-gate.js'

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
  const selfId = peerIdFromPrivateKey(privateKey).toString()
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
  const ledgerNetwork = (): LedgerService => {
    if (ledgerService == null) throw new InvalidStateError('the ledger service is not started yet')
    return ledgerService
  }
  const fetcher: LedgerFetcher = {
    sync: (log, from, to, signal) => ledgerNetwork().sync(log, from, to, signal),
    latestCheckpoint: async (log, signal) => await ledgerNetwork().latestCheckpoint(log, signal)
  }
  let admissionState: AdmissionState
  let newMesh = false
  let libp2pRef: Libp2p<MeshServices & EdgecoderServices> | undefined
  let guard: RestoreGuard | undefined
  // every store is opened through the registry, so a backup holds them all
  const stores = new StoreRegistry(dataDir)
  try {
    const admissionDb = new AdmissionDb(join(dataDir, DataDirFiles.admissionDb))
    await admissionDb.open()
    stores.database(STORES.admissionDb, admissionDb.level)
    closers.push(async () => { await admissionDb.close() })
    const self = peerIdFromPrivateKey(privateKey).toString()
    const pinned = [...new Set([...(opts.adminKeys ?? []), ...(boot?.adminKeys ?? [])])]
    newMesh = opts.role === 'coordinator' && (opts.newMesh ?? pinned.length === 0)
    admissionState = new AdmissionState(admissionDb, {
      meshId,
      self,
      adminKeys: newMesh ? [...new Set([self, ...pinned])] : pinned,
      mode: opts.admission?.mode ?? 'token',
      autoApprove: opts.admission?.autoApprove,
      // approvals on enrollment, and of a coordinator's own account, are signed with its own key
      signApproval: opts.role === 'coordinator'
        ? async (target, reason) => {
          const env = await signAdminAction(privateKey, meshId, { kind: 'APPROVE', target, reason })
          // an admin's approval admits the account at every granted coordinator (mesh-wide
          // admission); a granted coordinator that is not an admin approves for itself only
          if (admissionState.isAdmin(self)) setTimeout(() => { void libp2pRef?.services.admission.publish(env) }, 0)
          return env
        }
        : undefined,
      onApplied: (action, record) => {
        if (action.kind === AdminAction.Kind.BLACKLIST_ADD) {
          // cut a blacklisted peer off at once; the connection gater keeps it out
          void libp2pRef?.hangUp(peerIdFromString(action.target)).catch(() => {})
        }
        if (action.kind === AdminAction.Kind.POLICY_SET && ledger != null) {
          // pricing, fees and issuance live in the ledger, recorded with the signed action
          void ledger.setPolicyValue(action.target, JSON.parse(action.value), SignedEnvelope.decode(Buffer.from(record.envelope, 'base64'))).catch(() => {})
        }
        events.emit('admin:applied', { kind: action.kind, target: action.target })
        // our own approval or rejection: every coordinator that holds it now answers differently
        if ((action.kind === AdminAction.Kind.APPROVE || action.kind === AdminAction.Kind.REJECT) && action.target === self && opts.role !== 'coordinator') {
          setTimeout(() => { libp2pRef?.services.admission.standingChanged() }, 100)
        }
        if (action.kind === AdminAction.Kind.OPERATOR) {
          // pause, resume, drain, isolate, return: signed and audited like every admin action, so
          // they reach every coordinator; src/ops keeps the operator state itself
          const op = parseAction(JSON.parse(action.value))
          if (opts.role !== 'coordinator' && (op.kind === 'pause' || op.kind === 'resume')) return undefined
          return ops.apply(op, record.issuedAt)
        }
        return undefined
      }
    })
    await admissionState.open()
    closers.push(async () => { admissionState.authority.close() })
    opts.signal?.throwIfAborted()
    if (newMesh && !admissionState.authority.hasGrantRecord(self)) {
      // the mesh's creator grants itself, once, like any admin grants a coordinator (audited)
      await admissionState.applyAction(await signAuthorityAction(privateKey, meshId, { kind: 'coordinator-grant', target: self, label: 'created the mesh' }))
    }
    if (opts.role === 'coordinator') {
      store = stores.database(STORES.jobsDb, new JobStore(join(dataDir, DataDirFiles.jobsDb)))
      await store.open()
      const st = store
      closers.push(async () => { await st.close() })
      const peer = peerIdFromPrivateKey(privateKey).toString()
      ledger = new CoordinatorLedger({
        path: join(dataDir, DataDirFiles.ledgerDb),
        meshId,
        owner: peer,
        privateKey,
        genesisPolicy: opts.policy ?? (admissionState.mode === 'open' ? { ...DEFAULT_POLICY, welcomeGrant: 0n } : undefined),
        accounts: { approvalOf: async a => await admissionState.approvalOf(a), sameOperator: (a, b) => admissionState.sameOperator(a, b) },
        checkpointEvery: opts.checkpointEvery,
        checkpointIntervalMs: opts.checkpointIntervalMs,
        onCheckpoint: note => {
          events.emit('ledger:checkpoint', { log: peer, size: ledger?.checkpointSize ?? 0 })
          void ledgerService?.publish(note)
        }
      })
      await stores.database(STORES.ledgerDb, ledger).open()
      const l = ledger
      closers.push(async () => { await l.close() })
      // restored from a backup: nothing is appended until the log caught up (restore-guard.ts)
      guard = new RestoreGuard({
        ledger: l,
        dataDir,
        self: peer,
        log: (level, msg, fields) => { events.emit('ledger:restore', { level, msg, fields: fields ?? {} }) },
        onCaughtUp: async () => { await libp2pRef?.services.coordinator?.reconcileLedger() }
      })
      await guard.open()
    } else {
      replica = new LedgerReplica({
        path: join(dataDir, DataDirFiles.replicaDb),
        meshId,
        self: peerIdFromPrivateKey(privateKey).toString(),
        fetcher,
        receiptGraceMs: opts.receiptGraceMs,
        onAlert: e => { events.emit('ledger:alert', { log: e.log, kind: e.kind, detail: e.detail, evidenceId: e.id }) }
      })
      await stores.database(STORES.replicaDb, replica).open()
      const r = replica
      closers.push(async () => { await r.close() })
    }
  } catch (err) {
    await closeAll()
    throw err
  }
  let ops: NodeOps
  try {
    ops = await NodeOps.open({ role: opts.role, dataDir, store, options: opts.ops })
  } catch (err) {
    await closeAll()
    throw err
  }
  const authority = admissionState.authority
  const services: EdgecoderServiceFactories = {
    ops: opsService({ meshId, signer }),
    ledger: ledgerServiceFactory({ meshId, signer, own: ledger, jobs: store, replica, isDenied: p => admissionState.isDenied(p), isGranted: p => authority.isGranted(p), mayCharge: p => authority.mayCharge(p, selfId) }),
    admission: admissionService({
      meshId,
      signer,
      state: admissionState,
      serveEnrollment: opts.role === 'coordinator',
      token: opts.role !== 'coordinator' ? opts.token : undefined,
      role: opts.role === 'client' ? 'client' : 'worker',
      label: opts.label,
      executors: () => opts.offer ?? executors.names(),
      onStatus: (coordinator, status, reason) => {
        events.emit('admission:status', { coordinator: coordinator.toString(), status: statusName(status), reason })
        // admitted: ask for work now rather than waiting for the next announcement
        if (status === EnrollResponse.Status.ACTIVE) libp2pRef?.services.worker?.admittedBy(coordinator)
      }
    })
  }
  if (opts.role === 'coordinator' && store != null) {
    services.coordinator = coordinatorService({ meshId, signer, store, events, leaseMs: opts.leaseMs, retryBackoffMs: opts.retryBackoffMs, ledger, admission: admissionState, dispatch: heldLedgerGate(ops.gate, ledger), authority, writes: stores })
  }
  if (opts.role === 'worker') {
    services.worker = workerService({ meshId, signer, executors, events, slots: opts.slots, offer: opts.offer, admission: admissionState, authority })
  }
  let libp2p: Libp2p<MeshServices & EdgecoderServices>
  try {
    opts.signal?.throwIfAborted()
    libp2p = await createMeshLibp2p({
      privateKey,
      meshId,
      listen: opts.listen ?? ['/ip4/127.0.0.1/tcp/0'],
      userAgent: `edgecoder-node/${VERSION} role=${opts.role}`,
      dhtServer: opts.dhtServer ?? opts.role === 'coordinator',
      // a worker or client that serves the DHT (a hub) may bridge coordinators: it keeps gossiping
      leaf: opts.role !== 'coordinator' && opts.dhtServer !== true,
      services,
      limits: opts.limits,
      // blacklisted (admin) and isolated (operator) peers: no dial, no connection either way
      denyPeer: peer => admissionState.isDenied(peer.toString()) || ops.state.isDenied(peer.toString()),
      metrics: opts.prometheus === true ? prometheusMetrics({ registry: ops.metrics.registry }) : undefined,
      instrumentation: opts.instrumentation
    })
    libp2pRef = libp2p
  } catch (err) {
    await closeAll()
    throw err
  }
  ledgerService = libp2p.services.ledger
  // a worker follows the logs of the coordinators that pay it, and keeps its receipts
  events.on('work:acked', d => {
    ledgerService?.track(d.coordinator)
    // only a paid result is owed a settlement; expecting one for an executor error would raise
    // false missing-receipt evidence against an honest coordinator
    if (!d.payable) return
    void replica?.addReceipt({ jobId: d.jobId, log: d.coordinator, resultDigest: d.resultDigest, assignmentDigest: d.assignmentDigest, ackedAt: Date.now() })
  })
  const { admission, coordinator, worker } = libp2p.services
  const jobs = new JobClient({
    meshId,
    signer,
    dialer: meshDialer(libp2p),
    contentRouting: libp2p.contentRouting,
    peerStore: libp2p.peerStore,
    coordinator,
    authority,
    indexPath: opts.role === 'coordinator' ? undefined : join(dataDir, DataDirFiles.clientDb),
    onSubmitted: c => { ledgerService?.track(c) }
  })
  try {
    await jobs.open()
    if (jobs.database != null) stores.database(STORES.clientDb, jobs.database)
  } catch (err) {
    // another process holds this data dir: leave nothing running behind the error
    await libp2p.stop()
    await closeAll()
    throw err instanceof DataDirLockedError ? new DataDirLockedError(`data dir ${dataDir} is in use by another process`, { cause: err }) : err
  }
  // a grant given, removed or lapsed reaches every service at once (within the 5 s the docs promise)
  const offAuthority = authority.onChange(() => {
    coordinator?.authorityChanged()
    worker?.authorityChanged()
    admission.authorityChanged()
    events.emit('authority:changed', { coordinators: authority.coordinators().filter(c => c.state === 'granted').map(c => c.peerId), adminKeys: authority.adminKeys })
  })
  const dialer = new BootstrapDialer(libp2p, boot?.peers ?? [])
  dialer.start()
  const ls = ledgerService
  guard?.attach({
    peers: () => [...new Map(libp2p.getConnections().map(c => [c.remotePeer.toString(), c.remotePeer])).values()],
    checkpointFrom: async (peer, log, signal) => await ls.checkpointFrom(peer, log, signal),
    syncFrom: (peer, log, from, to, signal) => ls.entriesFrom(peer, log, from, to, signal)
  })
  ops.attach({ libp2p, events, jobs, service: libp2p.services.ops, coordinator, worker, ledger, bootstrapPeers: boot?.peers.length ?? 0, awaitingApproval: () => admissionState.nodes('pending').map(n => n.peerId), authority, enrollment: opts.role === 'coordinator' ? undefined : () => admission.standing() })

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
    admission,
    signer,
    ops,
    stores,
    restoreGuard: guard,
    multiaddrs: () => libp2p.getMultiaddrs(),
    bootstrapConfig: () => ({ meshId, peers: libp2p.getMultiaddrs().map(m => m.toString()), adminKeys: authority.adminKeys }),
    async stop () {
      if (stopped) return
      stopped = true
      offAuthority()
      guard?.stop()
      ops.stop()
      dialer.stop()
      await libp2p.stop()
      await jobs.close()
      await closeAll()
      if (tempDir != null) await rm(tempDir, { recursive: true, force: true })
    }
  }
  // `signal` aborts the start, as AbortSignal does everywhere: aborted before we got here, the node
  // started so far is stopped and the start fails with the signal's reason
  if (opts.signal?.aborted === true) {
    await node.stop()
    opts.signal.throwIfAborted()
  }
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
  // an object is checked like a file (node.bootstrapConfig() of another node, or one built by hand)
  return parseBootstrapConfig({ ...b, peers: b.peers.map(p => p.toString()) }, 'bootstrap option')
}

export { VERSION }
export type { CreateNodeOptions, EdgecoderNode, EdgecoderServices } from './types.js'
