// A loopback mesh for the job benchmarks: the coordinator runs in this process (so its CPU and its
// message counters are this process's), workers run in separate worker-host processes, several
// workers per process. Job specs are signed in advance by a separate client identity: signing a
// spec is the client's cost, not the coordinator's.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createNode, type EdgecoderNode } from '../../src/node/create-node.js'
import { createSigner, type Signer } from '../../src/wire/signed.js'
import { buildJobSpec, signJobSpec } from '../../src/jobs/job-spec.js'
import { jobsTopic } from '../../src/wire/domains.js'
import { DEFAULT_POLICY, type Policy } from '../../src/ledger/policy.js'
import type { SignedEnvelope } from '../../src/wire/pb/envelope.js'
import type { CoordinatorService } from '../../src/jobs/coordinator.js'
import { MeshCounters } from './counters.js'
import { nowMs, sleep, waitUntil, median } from './stats.js'
import type { FromHost, HostConfig, ToHost } from './ipc.js'

export const BENCH_MESH = 'edgecoder-bench'

/** The default policy, with a welcome grant large enough for any run (prices stay real). */
export const BENCH_POLICY: Policy = { ...DEFAULT_POLICY, welcomeGrant: 10n ** 15n }

const HOST_SCRIPT = fileURLToPath(new URL('./worker-host.js', import.meta.url))

export class WorkerHost {
  peers: string[] = []
  pid = 0
  /** replies awaited, oldest first; an error from the host (or its exit) rejects all of them */
  private readonly pending = new Set<{ type: FromHost['type'], settle: (m: FromHost | Error) => void }>()
  onStarts?: (starts: Array<[string, number]>) => void
  private exited = false

  private constructor (readonly proc: ChildProcess, readonly cfg: HostConfig) {
    proc.on('message', (m: FromHost) => {
      if (m.type === 'starts') { this.onStarts?.(m.starts); return }
      if (m.type === 'error') {
        const err = new Error(`worker host ${this.cfg.index}: ${m.message}`)
        if (this.pending.size === 0) process.stderr.write(`${err.message}\n`)
        for (const p of [...this.pending]) p.settle(err)
        return
      }
      for (const p of this.pending) if (p.type === m.type) { p.settle(m); return }
    })
    proc.on('exit', code => {
      this.exited = true
      for (const p of [...this.pending]) p.settle(new Error(`worker host ${this.cfg.index} exited (${String(code)})`))
    })
  }

  static async spawn (cfg: HostConfig, signal: AbortSignal, readyTimeoutMs = 60_000 + cfg.workers * 2_000): Promise<WorkerHost> {
    const proc = fork(HOST_SCRIPT, [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: (process.env.BENCH_HOST_NODE_OPTIONS ?? '').split(' ').filter(x => x !== '') })
    const host = new WorkerHost(proc, cfg)
    try {
      const ready = await host.next('ready', readyTimeoutMs, signal)
      if (ready.type === 'ready') { host.peers = ready.peers; host.pid = ready.pid }
    } catch (err) {
      proc.kill('SIGKILL')
      throw err
    }
    return host
  }

  private async next (type: FromHost['type'], timeoutMs: number, signal: AbortSignal): Promise<FromHost> {
    signal.throwIfAborted()
    return await new Promise<FromHost>((resolve, reject) => {
      const entry = {
        type,
        settle: (m: FromHost | Error): void => {
          this.pending.delete(entry)
          clearTimeout(t)
          signal.removeEventListener('abort', onAbort)
          if (m instanceof Error) reject(m)
          else resolve(m)
        }
      }
      const onAbort = (): void => { entry.settle(signal.reason as Error) }
      const t = setTimeout(() => { entry.settle(new Error(`worker host ${this.cfg.index}: no "${type}" within ${timeoutMs} ms`)) }, timeoutMs)
      signal.addEventListener('abort', onAbort, { once: true })
      if (this.exited) { entry.settle(new Error(`worker host ${this.cfg.index} has exited`)); return }
      this.pending.add(entry)
    })
  }

  send (m: ToHost): void { if (!this.exited) this.proc.send(m) }

  /**
   * Both processes read the same OS clock (performance.timeOrigin + now()), so no offset is applied:
   * an NTP-style estimate over IPC is off by milliseconds while the host is busy, more than what is
   * measured. This checks instead that the clocks agree: the least one-way delay each way must not be
   * negative. Returns [least delay to the host, least delay back], ms.
   */
  async checkClock (signal: AbortSignal, samples = 15): Promise<[number, number]> {
    let there = Infinity
    let back = Infinity
    for (let i = 0; i < samples; i++) {
      const t0 = nowMs()
      this.send({ type: 'clock', id: i })
      const m = await this.next('clock', 30_000, signal)
      const t1 = nowMs()
      if (m.type !== 'clock') continue
      there = Math.min(there, m.t - t0)
      back = Math.min(back, t1 - m.t)
    }
    return [there, back]
  }

  async usage (signal: AbortSignal): Promise<{ rssBytes: number, cpuMicros: number, executed: number }> {
    this.send({ type: 'usage' })
    const m = await this.next('usage', 10_000, signal)
    if (m.type !== 'usage') throw new Error('unexpected reply')
    return m
  }

  /** A full catch-up with `log` by this host's first worker, timed in the host. */
  async reconcile (log: string, signal: AbortSignal): Promise<{ ms: number, verified: boolean, size: number }> {
    this.send({ type: 'reconcile', log })
    const m = await this.next('reconciled', 150_000, signal)
    if (m.type !== 'reconciled') throw new Error('unexpected reply')
    return m
  }

  async stop (): Promise<void> {
    if (this.exited) return
    const done = new Promise<void>(resolve => { this.proc.once('exit', () => { resolve() }) })
    this.send({ type: 'stop' })
    const t = setTimeout(() => { this.proc.kill('SIGKILL') }, 15_000)
    await done
    clearTimeout(t)
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
  /** submit times (our clock) and execution start times (converted to our clock) */
  readonly submittedAt = new Map<string, number>()
  readonly startedAt = new Map<string, number>()
  private specs: SignedEnvelope[] = []
  /** workers the coordinator saw subscribe to the jobs topic before measuring */
  subscribedWorkers = 0
  /** least one-way IPC delay to a worker host and back, ms: both >= 0 when the clocks agree */
  clockCheckMs: [number, number] = [Infinity, Infinity]

  private constructor (readonly coordinator: EdgecoderNode, readonly counters: MeshCounters, readonly hosts: WorkerHost[], readonly client: Signer) {
    coordinator.events.on('job:completed', d => { this.completed.add(d.jobId) })
    coordinator.events.on('job:failed', d => { this.failed.set(d.jobId, d.reason) })
  }

  get service (): CoordinatorService { return this.coordinator.coordinator as CoordinatorService }

  static async start (opts: MeshOptions): Promise<BenchMesh> {
    const counters = new MeshCounters()
    const coordinator = await createNode({ role: 'coordinator', meshId: BENCH_MESH, policy: BENCH_POLICY, instrumentation: counters.instrumentation(), ...(process.env.NOCP != null ? { checkpointEvery: 1e9, checkpointIntervalMs: 1e9 } : {}) })
    const hosts: WorkerHost[] = []
    try {
      const addrs = coordinator.multiaddrs().map(a => a.toString()).filter(a => a.includes('/tcp/'))
      // admission as in production: the workers enroll with one auto-approve token
      const { token } = await coordinator.admission.state.tokens.create({ autoApprove: true, maxUses: opts.workers, label: 'bench workers' })
      const n = Math.ceil(opts.workers / opts.perHost)
      // two hosts start at a time, each starting its workers one after another: ten at once on two
      // cores took longer than any sane timeout (a node's start is mostly CPU: modules, keys, DHT)
      const readyTimeoutMs = 60_000 + opts.workers * 3_000
      for (let i = 0; i < n; i += 2) {
        const pair = [i, i + 1].filter(k => k < n)
        hosts.push(...await Promise.all(pair.map(async k => {
          const count = Math.min(opts.perHost, opts.workers - k * opts.perHost)
          return await WorkerHost.spawn({ meshId: BENCH_MESH, bootstrap: addrs, adminKeys: coordinator.bootstrapConfig().adminKeys, workers: count, slots: opts.slots, index: k, token }, opts.signal, readyTimeoutMs)
        })))
      }
      const client = createSigner(await generateKeyPair('Ed25519'), BENCH_MESH)
      // the client is an admitted account like any application user (enrolled on an auto-approve token)
      const clientToken = await coordinator.admission.state.tokens.create({ autoApprove: true, label: 'bench client' })
      await coordinator.admission.state.enroll(client.peerId.toString(), { token: clientToken.token, label: 'bench client', executors: [], role: 'client' })
      const mesh = new BenchMesh(coordinator, counters, hosts, client)
      for (const h of hosts) {
        h.onStarts = starts => { for (const [id, t] of starts) if (!mesh.startedAt.has(id)) mesh.startedAt.set(id, t) }
      }
      const pubsub = coordinator.libp2p.services.pubsub
      const subscribed = (): number => pubsub.getSubscribers(jobsTopic(BENCH_MESH)).length
      // on a loaded machine the last few may be slow: go on with 95% of them, and say so
      await waitUntil(() => subscribed() >= opts.workers, 60_000 + opts.workers * 3_000, `${opts.workers} workers to subscribe`, opts.signal)
        .catch(err => { if (subscribed() < Math.ceil(opts.workers * 0.95)) throw err })
      mesh.subscribedWorkers = subscribed()
      await waitUntil(() => coordinator.admission.state.nodes('active').length >= mesh.subscribedWorkers, 30_000, 'workers to enroll', opts.signal)
      // let gossipsub build its mesh (heartbeat 1 s) before anything is measured
      await sleep(2_000, opts.signal)
      for (const h of hosts) {
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

  /** Signs `n` noop specs with the client identity, ahead of the measurement. */
  async presign (n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      this.specs.push(await signJobSpec(this.client, buildJobSpec({ executor: 'noop', input: `bench-${this.specs.length}`, coordinator: this.coordinator.peerId.toString() })))
    }
  }

  get presigned (): number { return this.specs.length }

  /** Submits one presigned job to the coordinator; returns its id. */
  async submit (): Promise<string> {
    const env = this.specs.pop()
    if (env == null) throw new Error('bench: out of presigned specs')
    const t = nowMs()
    const id = await this.service.submit(env)
    this.submittedAt.set(id, t)
    return id
  }

  setRecording (on: boolean): void {
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
