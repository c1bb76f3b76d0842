// The embedding API (the package's `createNode`): nested option groups in, a small interface out.
// Only plain views and interfaces cross it — no stores, service classes or the node's signing key —
// so an app can rely on it while the runtime behind it changes.
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { CustomProgressEvent, type ProgressEvent, type ProgressOptions } from 'progress-events'
import { createNode as createRuntime, type CreateNodeOptions, type EdgecoderNode } from './create-node.js'
import type { BootstrapConfig } from '../mesh/bootstrap-file.js'
import type { Role } from '../identity/data-dir.js'
import type { JobEvents } from '../jobs/events.js'
import type { JobSpecInput } from '../jobs/job-spec.js'
import type { SubmitProgressEvents } from '../jobs/progress.js'
import type { JobState } from '../jobs/types.js'
import type { Executor } from '../executors/types.js'
import type { AdmissionMode } from '../admission/admission-state.js'
import type { Policy } from '../ledger/policy.js'
import type { OpsOptions } from '../ops/node-ops/index.js'
import type { LimitsInput } from '../rpc/limits.js'
import { jobStatusToJson, type JobStatusJson } from '../jobs/status-json.js'
import { wallet, type WalletJson } from '../ledger/wallet.js'

export type BootstrapInput = BootstrapConfig | { meshId: string, peers: Array<string | Multiaddr>, adminKeys?: string[] } | string | string[]

export interface NodeInit {
  role: Role
  /** persistent state (stores, index of submitted jobs); a temporary dir, removed on stop, when absent */
  dataDir?: string
  /** identity; a fresh Ed25519 key when absent */
  privateKey?: PrivateKey
  /** mesh to join; from the bootstrap config when given, else "edgecoder-local" */
  meshId?: string
  /** bootstrap peers: a config (another node's `bootstrapConfig()`), a bootstrap file's path, or multiaddrs */
  bootstrap?: BootstrapInput
  /** the mesh's admin keys (peer ids), with those of the bootstrap config: the trust anchor */
  adminKeys?: string[]
  network?: {
    /** default: one TCP port on loopback */
    listen?: string[]
    /** serve the kad-dht (default: coordinators do, workers and clients only query it) */
    dhtServer?: boolean
    /** abuse limits: message sizes, rates, streams, timeouts, peer penalties (docs/protocols.md) */
    limits?: LimitsInput
  }
  /** worker or client: how it enrolls with each coordinator it meets */
  enrollment?: {
    /** registration token from an admin */
    token?: string
    /** shown to the coordinator's admins */
    label?: string
  }
  coordinator?: {
    leaseMs?: number
    retryBackoffMs?: number
    /** the policy written into a new ledger */
    policy?: Policy
    /** this node creates the mesh: its key is an admin key and it grants itself (see docs/security.md) */
    newMesh?: boolean
    /** who may get work: 'token' (default, enrolled and approved) or 'open' (anyone not blacklisted) */
    admission?: { mode?: AdmissionMode, autoApprove?: boolean }
    checkpoint?: { everyEntries?: number, intervalMs?: number }
  }
  worker?: {
    /** jobs at once */
    slots?: number
    /** the app's own executors, besides wasm, process and noop */
    executors?: Executor[]
    /** executors offered (default: all registered) */
    offer?: string[]
    /** commands the process executor may run */
    processAllowlist?: string[]
  }
  /** worker or client: an acknowledged receipt missing from the coordinator's log this long after is evidence */
  ledger?: { receiptGraceMs?: number }
  /** self-healing thresholds (docs/operations.md) */
  ops?: OpsOptions
  /** libp2p's own metrics on the node's registry (prom-client keeps them per process: one such node per process) */
  metrics?: { prometheus?: boolean }
  /** aborts the start: a node whose start was aborted leaves nothing running. Stop a node with `stop()`. */
  signal?: AbortSignal
}

/** Listeners get the event's own detail type (node.events.on('work:finished', e => e.exitCode)). */
export interface NodeEvents {
  on: <K extends keyof JobEvents & string>(event: K, listener: (detail: JobEvents[K]) => void) => this
  once: <K extends keyof JobEvents & string>(event: K, listener: (detail: JobEvents[K]) => void) => this
  off: <K extends keyof JobEvents & string>(event: K, listener: (detail: JobEvents[K]) => void) => this
}

export type WaitProgressEvents =
  ProgressEvent<'edgecoder:wait:state', { jobId: string, state: string, line: string, status: JobStatusJson }>

export interface SubmitOptions extends ProgressOptions<SubmitProgressEvents> {
  signal?: AbortSignal
  /** a coordinator's peer id; default: one found among connections or in the DHT */
  coordinator?: string
}

export interface WaitOptions extends ProgressOptions<WaitProgressEvents> {
  signal?: AbortSignal
  /** give up after this long (WaitTimeoutError, saying where the job is); the job goes on */
  timeoutMs?: number
  /** poll interval (default 100 ms) */
  pollMs?: number
}

/** A finished job: its status, and the output bytes. */
export type JobOutcome = JobStatusJson & { output?: Uint8Array }

export interface Jobs {
  /** Signs and submits a job; resolves with its id once a coordinator has stored it. */
  submit: (input: JobSpecInput, options?: SubmitOptions) => Promise<string>
  status: (jobId: string, options?: { signal?: AbortSignal }) => Promise<JobStatusJson>
  /** Resolves when the job ends (succeeded, failed or cancelled), with its output. */
  wait: (jobId: string, options?: WaitOptions) => Promise<JobOutcome>
  cancel: (jobId: string, options?: { signal?: AbortSignal }) => Promise<JobStatusJson>
  list: (options?: { state?: JobState, limit?: number, signal?: AbortSignal }) => Promise<JobStatusJson[]>
}

export type EnrollmentStanding = Record<string, { status: 'pending' | 'active' | 'rejected', reason: string }>

export interface Node {
  readonly role: Role
  readonly meshId: string
  readonly peerId: PeerId
  readonly libp2p: Libp2p
  readonly events: NodeEvents
  readonly jobs: Jobs
  readonly admission: {
    /** this node's enrollment at each coordinator it met (workers and clients) */
    standing: () => EnrollmentStanding
  }
  readonly ledger: {
    /** this node's account at each coordinator it deals with: balance (verified where it can be), holds, available */
    wallet: (options?: { log?: string, signal?: AbortSignal, timeoutMs?: number }) => Promise<WalletJson>
  }
  /** executor names this node runs */
  readonly executors: readonly string[]
  multiaddrs: () => Multiaddr[]
  /** a bootstrap config pointing at this node, with the mesh's admin keys */
  bootstrapConfig: () => { meshId: string, peers: string[], adminKeys: string[] }
  /** Stops the node: workers hand back running work, stores close, nothing half-written. */
  stop: () => Promise<void>
}

function runtimeOptions (init: NodeInit): CreateNodeOptions {
  return {
    role: init.role,
    dataDir: init.dataDir,
    privateKey: init.privateKey,
    meshId: init.meshId,
    bootstrap: init.bootstrap,
    adminKeys: init.adminKeys,
    listen: init.network?.listen,
    dhtServer: init.network?.dhtServer,
    limits: init.network?.limits,
    token: init.enrollment?.token,
    label: init.enrollment?.label,
    leaseMs: init.coordinator?.leaseMs,
    retryBackoffMs: init.coordinator?.retryBackoffMs,
    policy: init.coordinator?.policy,
    newMesh: init.coordinator?.newMesh,
    admission: init.coordinator?.admission,
    checkpointEvery: init.coordinator?.checkpoint?.everyEntries,
    checkpointIntervalMs: init.coordinator?.checkpoint?.intervalMs,
    slots: init.worker?.slots,
    executors: init.worker?.executors,
    offer: init.worker?.offer,
    processAllowlist: init.worker?.processAllowlist,
    receiptGraceMs: init.ledger?.receiptGraceMs,
    ops: init.ops,
    prometheus: init.metrics?.prometheus,
    signal: init.signal
  }
}

function jobsOf (n: EdgecoderNode): Jobs {
  return {
    async submit (input, options = {}) {
      return await n.jobs.submit(input, { signal: options.signal, coordinator: options.coordinator, onProgress: options.onProgress })
    },
    async status (jobId, options = {}) { return jobStatusToJson(await n.jobs.status(jobId, options)) },
    async wait (jobId, options = {}) {
      const out = await n.jobs.wait(jobId, {
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        pollMs: options.pollMs,
        onProgress: (s, line) => {
          options.onProgress?.(new CustomProgressEvent('edgecoder:wait:state', { jobId, state: s.state, line, status: jobStatusToJson(s) }))
        }
      })
      return { ...jobStatusToJson(out), output: out.output }
    },
    async cancel (jobId, options = {}) { return jobStatusToJson(await n.jobs.cancel(jobId, options)) },
    async list (options = {}) { return (await n.jobs.list(options)).map(jobStatusToJson) }
  }
}

/** Starts a coordinator, worker or client inside this process and joins its mesh. */
export async function createNode (init: NodeInit): Promise<Node> {
  const n = await createRuntime(runtimeOptions(init))
  const events: NodeEvents = {
    on (event, listener) { n.events.on(event, listener); return this },
    once (event, listener) { n.events.once(event, listener); return this },
    off (event, listener) { n.events.off(event, listener); return this }
  }
  return {
    role: n.role,
    meshId: n.meshId,
    peerId: n.peerId,
    libp2p: n.libp2p,
    events,
    jobs: jobsOf(n),
    admission: { standing: () => n.admission.standing() },
    ledger: {
      wallet: async (options = {}) => await wallet(n, { log: options.log, timeoutMs: options.timeoutMs, signal: options.signal ?? AbortSignal.timeout(options.timeoutMs ?? 30_000) })
    },
    executors: n.executors.names(),
    multiaddrs: () => n.multiaddrs(),
    bootstrapConfig: () => n.bootstrapConfig(),
    stop: async () => { await n.stop() }
  }
}
