// A mesh of real `edgecoder-node start` daemons (separate OS processes) on a drill topology, driven
// through the CLI exactly as an operator would, with every daemon's log kept for post-mortems.
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, type RunResult } from '../cli-helpers.js'
import { waitFor } from '../helpers.js'
import { LoopbackTopology, NetnsTopology, type Host, type Topology } from './topology.js'
import { DEFAULT_POLICY } from '../../src/ledger/policy.js'

export type Role = 'coordinator' | 'worker' | 'client'

export interface NodeOptions {
  leaseMs?: number
  slots?: number
  allowCommands?: string[]
  /** put the data dir here instead of under the mesh's temp root */
  dataDir?: string
}

export interface DrillNode {
  name: string
  role: Role
  host: Host
  dataDir: string
  peerId: string
  opts: NodeOptions
  proc?: ChildProcess
  /** this run's log lines, from every start */
  logs: string
}

export interface JobJson {
  id: string
  label: string
  state: string
  reason: string
  attempt: number
  attempts: Array<{ attempt: number, worker: string, outcome: string, reason: string }>
  result?: { exitCode: number, output: string }
}

const live = new Set<DrillMesh>()
let signalsHooked = false
function hookSignals (): void {
  if (signalsHooked) return
  signalsHooked = true
  const bail = (): void => {
    // leave no daemon, namespace or TUN device behind an interrupted run
    void Promise.allSettled([...live].map(async m => { await m.close() })).finally(() => process.exit(130))
  }
  process.once('SIGINT', bail)
  process.once('SIGTERM', bail)
}

export class DrillMesh {
  readonly nodes: DrillNode[] = []
  /** every job id submitted through this mesh, in order */
  readonly submitted: string[] = []
  private closed = false

  private constructor (readonly topo: Topology, readonly root: string) {}

  static async create (kind: 'netns' | 'loopback'): Promise<DrillMesh> {
    let topo: Topology
    if (kind === 'netns') {
      const t = new NetnsTopology()
      await t.start()
      topo = t
    } else {
      topo = new LoopbackTopology()
    }
    const m = new DrillMesh(topo, await mkdtemp(join(tmpdir(), 'edgecoder-drill-')))
    live.add(m)
    hookSignals()
    return m
  }

  /** Runs the CLI on the node's host (inside its namespace). */
  async cli (node: DrillNode, args: string[], timeoutMs = 60_000): Promise<RunResult> {
    const argv = this.topo.wrap(node.host, [process.execPath, CLI, ...args, '--data-dir', node.dataDir])
    return await new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${node.name}: cli ${args.join(' ')} timed out`)) }, timeoutMs)
      child.on('exit', code => { clearTimeout(t); resolve({ code, stdout, stderr }) })
    })
  }

  async cliJson<T> (node: DrillNode, args: string[], timeoutMs?: number): Promise<T> {
    const r = await this.cli(node, [...args, '--json'], timeoutMs)
    if (r.code !== 0) throw new Error(`${node.name}: cli ${args.join(' ')} exited ${String(r.code)}: ${r.stderr.trim()}`)
    return JSON.parse(r.stdout) as T
  }

  async addNode (name: string, role: Role, opts: NodeOptions = {}): Promise<DrillNode> {
    const host = await this.topo.addHost(name)
    const dataDir = opts.dataDir ?? join(this.root, name)
    const node: DrillNode = { name, role, host, dataDir, peerId: '', opts, logs: '' }
    const init = await this.cliJson<{ peerId: string }>(node, ['init', '--role', role])
    node.peerId = init.peerId
    if (opts.leaseMs != null) {
      const cfgPath = join(dataDir, 'config.json')
      const cfg = JSON.parse(await readFile(cfgPath, 'utf8')) as Record<string, unknown>
      await writeFile(cfgPath, JSON.stringify({ ...cfg, leaseMs: opts.leaseMs }, null, 2) + '\n', { mode: 0o600 })
    }
    this.nodes.push(node)
    return node
  }

  get coordinator (): DrillNode {
    const c = this.nodes.find(n => n.role === 'coordinator')
    if (c == null) throw new Error('the mesh has no coordinator')
    return c
  }

  get workers (): DrillNode[] { return this.nodes.filter(n => n.role === 'worker') }

  /** Starts the node's daemon and waits until it serves its control API. */
  async start (node: DrillNode): Promise<void> {
    if (node.proc != null && node.proc.exitCode == null && node.proc.signalCode == null) throw new Error(`${node.name} is already running`)
    // the control API on the host's address, so the drill can poll it without a CLI process per call
    const args = ['start', '--data-dir', node.dataDir, '--listen', `/ip4/${node.host.ip}/tcp/${node.host.port}`, '--http', `${node.host.ip}:0`, '--drain-timeout-ms', '2000']
    if (node.role !== 'coordinator') args.push('--bootstrap', join(this.coordinator.dataDir, 'bootstrap.json'))
    // drills are about faults, not enrollment (test/admission.spec.ts covers that): an open mesh
    else args.push('--admission', 'open')
    if (node.opts.slots != null) args.push('--slots', String(node.opts.slots))
    for (const c of node.opts.allowCommands ?? []) args.push('--allow-command', c)
    // a kill -9 leaves api.json behind: wait for the new daemon's own
    await unlink(join(node.dataDir, 'api.json')).catch(() => {})
    const argv = this.topo.wrap(node.host, [process.execPath, CLI, ...args])
    // SIGUSR2 writes a diagnostic report (V8 heap, libuv handles): how the soak reads a daemon's heap
    await mkdir(this.reportDir(node.name), { recursive: true })
    const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --report-on-signal --report-directory=${this.reportDir(node.name)}`.trim() }
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env })
    node.proc = child
    const logFile = join(this.root, `${node.name}.log`)
    const onData = (d: Buffer): void => {
      node.logs += d.toString()
      void appendFile(logFile, d).catch(() => {})
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    const startedAt = node.logs.length
    await waitFor(async () => {
      if (child.exitCode != null || child.signalCode != null) throw new Error(`${node.name} exited at start (${String(child.exitCode ?? child.signalCode)}):\n${node.logs.slice(startedAt)}`)
      try { await readFile(join(node.dataDir, 'api.json')) } catch { return false }
      return node.logs.slice(startedAt).includes('node started')
    }, 30_000, `${node.name} to start`)
    if (node.role === 'coordinator') {
      // an open mesh grants nothing by default; drills submit from the coordinator's own account
      const shown = await this.cliJson<{ policy: Record<string, unknown> }>(node, ['policy', 'show'])
      if (shown.policy.welcomeGrant == null) await this.cliJson(node, ['policy', 'set', 'welcomeGrant', DEFAULT_POLICY.welcomeGrant.toString()])
    }
  }

  /** kill -9 (or another signal); resolves once the process is gone. */
  async kill (node: DrillNode, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const p = node.proc
    if (p == null || p.exitCode != null || p.signalCode != null) return p?.exitCode ?? null
    return await new Promise(resolve => {
      p.once('exit', code => { resolve(code) })
      p.kill(signal)
    })
  }

  running (node: DrillNode): boolean {
    return node.proc != null && node.proc.exitCode == null && node.proc.signalCode == null
  }

  /** A control API call, as the CLI makes it (api.json gives the address and bearer token). */
  async api<T> (node: DrillNode, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 60_000): Promise<T> {
    const info = JSON.parse(await readFile(join(node.dataDir, 'api.json'), 'utf8')) as { url: string, token: string }
    const res = await fetch(info.url + path, {
      method,
      headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
      body: body != null ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs)
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${node.name}: ${method} ${path} -> ${res.status} ${text}`)
    return JSON.parse(text) as T
  }

  /** Submits a job on the coordinator (through the CLI) and remembers its id for the invariant checks. */
  async submit (args: string[], via: DrillNode = this.coordinator): Promise<string> {
    const { id } = await this.cliJson<{ id: string }>(via, ['jobs', 'submit', ...args])
    this.submitted.push(id)
    return id
  }

  /** The same through the control API: quicker, for bulk and soak submissions. */
  async submitApi (body: Record<string, unknown>, via: DrillNode = this.coordinator): Promise<string> {
    const { id } = await this.api<{ id: string }>(via, 'POST', '/v1/jobs', body)
    this.submitted.push(id)
    return id
  }

  async status (id: string, via: DrillNode = this.coordinator): Promise<JobJson> {
    return await this.api<JobJson>(via, 'GET', `/v1/jobs/${id}`)
  }

  async listJobs (via: DrillNode = this.coordinator): Promise<JobJson[]> {
    return (await this.api<{ jobs: JobJson[] }>(via, 'GET', '/v1/jobs?limit=100000')).jobs
  }

  /** Waits until every submitted job is in a terminal state. */
  async settleAll (timeoutMs: number): Promise<JobJson[]> {
    let last: JobJson[] = []
    try {
      await waitFor(async () => {
        last = await this.listJobs()
        const done = new Set(last.filter(j => ['succeeded', 'failed', 'cancelled'].includes(j.state)).map(j => j.id))
        return this.submitted.every(id => done.has(id))
      }, timeoutMs, 'every submitted job to finish')
    } catch (err) {
      const open = last.filter(j => !['succeeded', 'failed', 'cancelled'].includes(j.state))
      throw new Error(`${(err as Error).message}; still open: ${JSON.stringify(open.map(j => ({ id: j.id.slice(0, 12), state: j.state, attempts: j.attempts })))}`)
    }
    return last
  }

  reportDir (name: string): string { return join(this.root, 'reports', name) }

  /** PIDs of the running daemons, by node name. */
  pids (): Record<string, number> {
    const out: Record<string, number> = {}
    for (const n of this.nodes) if (this.running(n) && n.proc?.pid != null) out[n.name] = n.proc.pid
    return out
  }

  /** The tail of a node's log, for assertion messages. */
  tail (node: DrillNode, lines = 30): string {
    return `--- ${node.name} (${node.role}) log tail ---\n${node.logs.trim().split('\n').slice(-lines).join('\n')}`
  }

  async close (opts: { keepFiles?: boolean } = {}): Promise<void> {
    if (this.closed) return
    this.closed = true
    live.delete(this)
    await Promise.allSettled(this.nodes.map(async n => { await this.kill(n, 'SIGKILL') }))
    await this.topo.close()
    if (opts.keepFiles !== true) await rm(this.root, { recursive: true, force: true })
  }
}
