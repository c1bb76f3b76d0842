// The composition root's types: the options it takes, the node handle it returns (what the CLI's
// daemon, the HTTP layer and the tests hold), and the service map it builds.
import type { Libp2p, PrivateKey, PeerId, ServiceMap } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { MeshServices, MeshInstrumentation, ServiceFactories } from '../mesh/create-libp2p.js'
import type { BootstrapConfig } from '../mesh/bootstrap-file.js'
import type { Signer } from '../wire/signed.js'
import type { CoordinatorService } from '../jobs/coordinator/index.js'
import type { WorkerService } from '../jobs/worker/index.js'
import type { JobClient } from '../jobs/client.js'
import type { TypedEmitter } from '../util/typed-emitter.js'
import type { JobEvents } from '../jobs/events.js'
import type { ExecutorRegistry } from '../executors/registry.js'
import type { Executor } from '../executors/types.js'
import type { Role } from '../identity/data-dir.js'
import type { CoordinatorLedger } from '../ledger/coordinator-ledger.js'
import type { LedgerReplica } from '../ledger/replica.js'
import type { LedgerService } from '../ledger/ledger-service.js'
import type { Policy } from '../ledger/policy.js'
import type { AdmissionMode } from '../admission/admission-state.js'
import type { AdmissionService } from '../admission/admission-service.js'
import type { NodeOps, OpsOptions } from '../ops/node-ops/index.js'
import type { OpsService } from '../ops/ops-service.js'
import type { LimitsInput } from '../rpc/limits.js'
import type { StoreRegistry } from '../identity/store-registry.js'
import type { RestoreGuard } from '../ledger/restore-guard.js'

/** The services a node runs besides libp2p's own: every role has ops, ledger and admission. */
export interface EdgecoderServices extends ServiceMap {
  ops: OpsService
  ledger: LedgerService
  admission: AdmissionService
  coordinator?: CoordinatorService
  worker?: WorkerService
}

export type EdgecoderServiceFactories = ServiceFactories<EdgecoderServices>

export interface CreateNodeOptions {
  role: Role
  /** persistent state lives here (job store, submitted-jobs index); a temp dir when absent */
  dataDir?: string
  /** identity; a fresh Ed25519 key when absent */
  privateKey?: PrivateKey
  /** mesh to join; from the bootstrap config when given, else "edgecoder-local" */
  meshId?: string
  /**
   * bootstrap peers: a config object (e.g. another node's `bootstrapConfig()`), a path to a
   * bootstrap file, or multiaddr strings. Its `adminKeys` are the mesh's trust anchor.
   */
  bootstrap?: BootstrapConfig | { meshId: string, peers: Array<string | Multiaddr>, adminKeys?: string[] } | string | string[]
  listen?: string[]
  /**
   * serve the kad-dht (answer discovery queries for others). Default: coordinators do, workers and
   * clients only query it, so workers connect to coordinators rather than to every other worker.
   * Turn it on for a directly reachable worker that should help others discover the mesh.
   */
  dhtServer?: boolean
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
  /**
   * coordinator: the policy written into a new ledger (default DEFAULT_POLICY, with no welcome
   * grant under open admission, where any key is admitted)
   */
  policy?: Policy
  /** coordinator: checkpoint after this many entries or this long */
  checkpointEvery?: number
  checkpointIntervalMs?: number
  /** worker: an acknowledged result missing from the log this long after is evidence */
  receiptGraceMs?: number
  /**
   * coordinator: who may get work. 'token' (default): only nodes enrolled with a registration token
   * and approved (by an admin, or at once with autoApprove or an auto-approve token); 'open': any
   * peer not blacklisted.
   */
  admission?: { mode?: AdmissionMode, autoApprove?: boolean }
  /**
   * the mesh's admin keys (peer ids): the trust anchor every coordinator grant and admin action is
   * checked against, with those of the bootstrap config. A worker or client that knows none gives
   * work to no coordinator.
   */
  adminKeys?: string[]
  /**
   * coordinator: this node creates the mesh: its key becomes an admin key and it grants itself
   * (once: a grant an admin later removes stays removed). Default: true for a coordinator that is
   * given no admin keys (here or in the bootstrap config); a coordinator that joins a mesh is not an
   * admin and gives no work until an admin grants it (`admin coordinator add`).
   */
  newMesh?: boolean
  /**
   * worker or client: registration token to enroll with at each coordinator. A client must be
   * enrolled (and approved) before a coordinator in token mode accepts its jobs
   */
  token?: string
  /** worker or client: a label shown to coordinator admins */
  label?: string
  /** self-healing thresholds and the metrics registry (src/ops/node-ops/) */
  ops?: OpsOptions
  /** libp2p's own metrics into `node.ops.metrics.registry` (prom-client keeps them per process: one such node per process) */
  prometheus?: boolean
  /** abuse limits: req/resp sizes, rates, streams, timeouts, peer penalties, gossip scoring (docs/protocols.md) */
  limits?: LimitsInput
  /** aborts the start (the node started so far is stopped); stop a started node with `stop()` */
  signal?: AbortSignal
  /** counters for benchmarks and ops (libp2p metrics, gossipsub metrics register) */
  instrumentation?: MeshInstrumentation
}

export interface EdgecoderNode {
  readonly role: Role
  readonly meshId: string
  readonly peerId: PeerId
  readonly libp2p: Libp2p<MeshServices & EdgecoderServices>
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
  /** enrollment, admin actions, blacklist */
  readonly admission: AdmissionService
  readonly signer: Signer
  /** operator state, self-healing, metrics, status */
  readonly ops: NodeOps
  /** every store of the data dir this node opened: what a backup holds (src/ops/backup.ts) */
  readonly stores: StoreRegistry
  /** coordinators: holds ledger appends after a restore until the log caught up */
  readonly restoreGuard?: RestoreGuard
  multiaddrs (): Multiaddr[]
  /** A bootstrap config pointing at this node, carrying the mesh's admin keys (never this node's own unless it is an admin). */
  bootstrapConfig (): { meshId: string, peers: string[], adminKeys: string[] }
  /** Stops the node: workers hand back running work, stores close, nothing half-written. */
  stop (): Promise<void>
}
