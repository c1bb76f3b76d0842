// A loopback mesh for the job benchmarks, one OS process per role: the coordinator runs in a
// process of its own (coordinator-host.ts), so its CPU time is its own and not the feeder's, the
// client's or the bookkeeping's; workers run in worker-host processes, several workers per process;
// this process is the client and the feeder. Job specs are signed in advance by a separate client
// identity (signing a spec is the client's cost) and handed to the coordinator process before the
// measurement, which calls the coordinator's `submit` with them: the client's submit RPC is not
// part of what is measured.
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createSigner, type Signer } from '../../src/wire/signed.js'
import { buildJobSpec, signJobSpec } from '../../src/jobs/job-spec.js'
import { DEFAULT_POLICY, type Policy } from '../../src/ledger/policy.js'
import type { SignedEnvelope } from '../../src/wire/pb/envelope.js'
import { ChildHost } from './child.js'
import { nowMs, sleep, waitFor, median } from './stats.js'
import type { CoordinatorConfig, CoordinatorSample, CoordinatorStatus, FromCoordinator, FromHost, HostConfig, ToCoordinator, ToHost } from './ipc.js'

export const BENCH_MESH = 'edgecoder-bench'

/** The default policy, with a welcome grant large enough for any run (prices stay real). */
export const BENCH_POLICY: Policy = { ...DEFAULT_POLICY, welcomeGrant: 10n ** 15n }

const HOST_SCRIPT = fileURLToPath(new URL('./worker-host.js', import.meta.url))
const COORDINATOR_SCRIPT = fileURLToPath(new URL('./coordinator-host.js', import.meta.url))

/**
 * Both processes read the same OS clock (performance.timeOrigin + now()), so no offset is applied:
 * an NTP-style estimate over IPC is off by milliseconds while the child is busy, more than what is
 * measured. This checks instead that the clocks agree: the least one-way delay each way must not be
 * negative. Returns [least delay to the child, least delay back], ms.
 */
async function checkClock (ask: (id: number) => Promise<number>, samples = 15): Promise<[number, number]> {
  let there = Infinity
  let back = Infinity
  for (let i = 0; i < samples; i++) {
    const t0 = nowMs()
    const t = await ask(i)
    const t1 = nowMs()
    there = Math.min(there, t - t0)
    back = Math.min(back, t1 - t)
  }
  return [there, back]
}

export class WorkerHost extends ChildHost<ToHost, FromHost> {
  peers: string[] = []
  onStarts?: (starts: Array<[string, number]>) => void

  private constructor (proc: WorkerHost['proc'], readonly cfg: HostConfig) {
    super(proc, `worker host ${cfg.index}`)
  }

  protected override unsolicited (m: FromHost): boolean {
    if (m.type !== 'starts') return false
    this.onStarts?.(m.starts)
    return true
  }

  static async spawn (cfg: HostConfig, signal: AbortSignal, readyTimeoutMs = 60_000 + cfg.workers * 2_000): Promise<WorkerHost> {
    const host = new WorkerHost(ChildHost.fork(HOST_SCRIPT, cfg, 'BENCH_HOST_NODE_OPTIONS'), cfg)
    try {
      const ready = await host.next('ready', readyTimeoutMs, signal)
      host.peers = ready.peers
      host.pid = ready.pid
    } catch (err) {
      host.proc.kill('SIGKILL')
      throw err
    }
    return host
  }

  async checkClock (signal: AbortSignal): Promise<[number, number]> {
    return await checkClock(async id => { this.send({ type: 'clock', id }); return (await this.next('clock', 30_000, signal)).t })
  }

  async usage (signal: AbortSignal): Promise<{ rssBytes: number, cpuMicros: number, executed: number }> {
    this.send({ type: 'usage' })
    return await this.next('usage', 10_000, signal)
  }

  /** A full catch-up with `log` by this host's first worker, timed in the host. */
  async reconcile (log: string, signal: AbortSignal): Promise<{ ms: number, verified: boolean, size: number }> {
    this.send({ type: 'reconcile', log })
    return await this.next('reconciled', 150_000, signal)
  }
}

type Reply<T extends FromCoordinator['type']> = Extract<FromCoordinator, { type: T }>

export class CoordinatorHost extends ChildHost<ToCoordinator, FromCoordinator> {
  peerId = ''
  /** TCP listen addresses, for the workers to bootstrap to */
  addrs: string[] = []
  adminKeys: string[] = []
  workerToken = ''
  onEvents?: (m: Reply<'events'>) => void
  private ids = 0

  private constructor (proc: CoordinatorHost['proc']) {
    super(proc, 'coordinator host')
  }

  protected override unsolicited (m: FromCoordinator): boolean {
    if (m.type !== 'events') return false
    this.onEvents?.(m)
    return true
  }

  static async spawn (cfg: CoordinatorConfig, signal: AbortSignal): Promise<CoordinatorHost> {
    // structured clone ('advanced'): signed specs cross as bytes, not as JSON objects of numbers
    const host = new CoordinatorHost(ChildHost.fork(COORDINATOR_SCRIPT, cfg, 'BENCH_COORDINATOR_NODE_OPTIONS', 'advanced'))
    try {
      const ready = await host.next('ready', 60_000, signal)
      Object.assign(host, { pid: ready.pid, peerId: ready.peerId, addrs: ready.addrs, adminKeys: ready.adminKeys, workerToken: ready.workerToken })
    } catch (err) {
      host.proc.kill('SIGKILL')
      throw err
    }
    return host
  }

  /** One request and its reply; a reply with `error` throws it. */
  async request<T extends ToCoordinator['type'] & FromCoordinator['type']> (type: T, body: Omit<Extract<ToCoordinator, { type: T }>, 'type' | 'id'>, timeoutMs: number, signal: AbortSignal): Promise<Reply<T>> {
    const id = ++this.ids
    this.send({ ...body, type, id } as unknown as ToCoordinator)
    const r = await this.next(type, timeoutMs, signal, id)
    const error = (r as { error?: string }).error
    if (error != null) throw new Error(error)
    return r
  }

  async checkClock (signal: AbortSignal): Promise<[number, number]> {
    return await checkClock(async () => (await this.request('clock', {}, 30_000, signal)).t)
  }
}

export interface MeshOptions {
  workers: number
  perHost: number
  slots: number
  signal: AbortSignal
}

export class BenchMesh {
  readonly completed = new Set<string>()
  /** jobs that ended failed, with their reason (a run on a starved machine can lose leases) */
  readonly failed = new Map<string, string>()
  /** every time on the one OS clock: submit (at the coordinator's call), queued and assigned (while recording), execution start */
  readonly submittedAt = new Map<string, number>()
  readonly queuedAt = new Map<string, number>()
  readonly assignedAt = new Map<string, number>()
  readonly startedAt = new Map<string, number>()
  /** called for each job that ended (succeeded or failed), as the coordinator's events arrive */
  readonly onEnded = new Set<(jobId: string) => void>()
  /** presigned specs handed to the coordinator process and not yet submitted */
  private available = 0
  /** specs signed so far: each gets its own input, so its own job id */
  private signed = 0
  /** workers the coordinator saw subscribe to the jobs topic before measuring */
  subscribedWorkers = 0
  /** least one-way IPC delay to a child process and back, ms: both >= 0 when the clocks agree */
  clockCheckMs: [number, number] = [Infinity, Infinity]

  private constructor (readonly coordinator: CoordinatorHost, readonly hosts: WorkerHost[], readonly client: Signer, private readonly signal: AbortSignal) {
    coordinator.onEvents = m => {
      for (const [id, t] of m.queued) this.queuedAt.set(id, t)
      for (const [id, t] of m.assigned) if (!this.assignedAt.has(id)) this.assignedAt.set(id, t)
      for (const id of m.completed) { this.completed.add(id); for (const f of this.onEnded) f(id) }
      for (const [id, reason] of m.failed) { this.failed.set(id, reason); for (const f of this.onEnded) f(id) }
    }
    for (const h of hosts) {
      h.onStarts = starts => { for (const [id, t] of starts) if (!this.startedAt.has(id)) this.startedAt.set(id, t) }
    }
  }

  static async start (opts: MeshOptions): Promise<BenchMesh> {
    const client = createSigner(await generateKeyPair('Ed25519'), BENCH_MESH)
    const coordinator = await CoordinatorHost.spawn({ meshId: BENCH_MESH, workers: opts.workers, client: client.peerId.toString() }, opts.signal)
    const hosts: WorkerHost[] = []
    try {
      const n = Math.ceil(opts.workers / opts.perHost)
      // two hosts start at a time, each starting its workers one after another: a node's start is
      // mostly CPU (modules, keys, DHT), and more at once on two cores only makes every one slower
      const readyTimeoutMs = 60_000 + opts.workers * 3_000
      for (let i = 0; i < n; i += 2) {
        const pair = [i, i + 1].filter(k => k < n)
        hosts.push(...await Promise.all(pair.map(async k => {
          const count = Math.min(opts.perHost, opts.workers - k * opts.perHost)
          return await WorkerHost.spawn({ meshId: BENCH_MESH, bootstrap: coordinator.addrs, adminKeys: coordinator.adminKeys, workers: count, slots: opts.slots, index: k, token: coordinator.workerToken }, opts.signal, readyTimeoutMs)
        })))
      }
      const mesh = new BenchMesh(coordinator, hosts, client, opts.signal)
      // on a loaded machine the last few may be slow: go on with 95% of them, and say so
      let status = await mesh.status()
      await waitFor(async () => (status = await mesh.status()).subscribers >= opts.workers, 60_000 + opts.workers * 3_000, `${opts.workers} workers to subscribe`, opts.signal)
        .catch(err => { if (status.subscribers < Math.ceil(opts.workers * 0.95)) throw err })
      mesh.subscribedWorkers = status.subscribers
      await waitFor(async () => (await mesh.status()).activeNodes >= mesh.subscribedWorkers, 30_000, 'workers to enroll', opts.signal)
      // let gossipsub build its mesh (heartbeat 1 s) before anything is measured
      await sleep(2_000, opts.signal)
      for (const h of [coordinator, ...hosts]) {
        const [there, back] = await h.checkClock(opts.signal)
        mesh.clockCheckMs = [Math.min(mesh.clockCheckMs[0], there), Math.min(mesh.clockCheckMs[1], back)]
      }
      return mesh
    } catch (err) {
      await Promise.allSettled(hosts.map(async h => { await h.stop() }))
      await coordinator.stop()
      throw err
    }
  }

  /** Signs `n` noop specs with the client identity here and hands them to the coordinator process, ahead of the measurement. */
  async presign (n: number): Promise<void> {
    const CHUNK = 500
    for (let done = 0; done < n; done += CHUNK) {
      const specs: SignedEnvelope[] = []
      for (let i = 0; i < Math.min(CHUNK, n - done); i++) {
        specs.push(await signJobSpec(this.client, buildJobSpec({ executor: 'noop', input: `bench-${this.signed++}`, coordinator: this.coordinator.peerId })))
      }
      await this.coordinator.request('specs', { specs }, 60_000, this.signal)
      this.available += specs.length
    }
  }

  get presigned (): number { return this.available }

  /** Submits the next `n` presigned jobs at once at the coordinator; returns their ids. */
  async submitMany (n: number): Promise<string[]> {
    if (this.available < n) throw new Error('bench: out of presigned specs')
    this.available -= n
    const { jobs } = await this.coordinator.request('submit', { n }, 120_000, this.signal)
    for (const [id, t] of jobs) this.submittedAt.set(id, t)
    return jobs.map(([id]) => id)
  }

  /** Submits one presigned job; returns its id. */
  async submit (): Promise<string> {
    return (await this.submitMany(1))[0]
  }

  /** The coordinator process's CPU, counters, completions and ledger size at one instant. */
  async sample (): Promise<CoordinatorSample> {
    return (await this.coordinator.request('sample', {}, 30_000, this.signal)).sample
  }

  async status (): Promise<CoordinatorStatus> {
    return (await this.coordinator.request('status', {}, 30_000, this.signal)).status
  }

  /** Checks every job in the coordinator's stores (see coordinator-host verifyJobs); returns how many. */
  async verify (jobs: string[]): Promise<number> {
    return (await this.coordinator.request('verify', { jobs }, 600_000, this.signal)).verified
  }

  /** The jobs' states in the coordinator's job store, counted. */
  async states (jobs: string[]): Promise<Record<string, number>> {
    return (await this.coordinator.request('states', { jobs }, 120_000, this.signal)).states
  }

  setRecording (on: boolean): void {
    this.coordinator.send({ type: 'record', on })
    for (const h of this.hosts) h.send({ type: 'record', on })
  }

  async hostUsage (signal: AbortSignal): Promise<Array<{ rssBytes: number, cpuMicros: number, executed: number, workers: number }>> {
    return await Promise.all(this.hosts.map(async h => ({ ...(await h.usage(signal)), workers: h.cfg.workers })))
  }

  async stop (): Promise<void> {
    await Promise.allSettled(this.hosts.map(async h => { await h.stop() }))
    await this.coordinator.stop()
  }
}

export function medianOf<T> (xs: T[], f: (x: T) => number): number {
  return median(xs.map(f))
}
