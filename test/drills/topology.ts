// Where drill daemons run: all on loopback in this network namespace, or each in its own network
// namespace ("host") joined by the userspace link emulator (linkem.py), which can add loss, delay
// and blackholes per host. tc netem would do the impairments in the kernel, but kernels built
// without sch_netem (like the one these drills were written on) refuse it, so the emulator does them.
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { access, constants } from 'node:fs/promises'
import { freePort } from '../helpers.js'

const run = promisify(execFile)

export interface Host {
  name: string
  /** network namespace, absent on loopback */
  ns?: string
  ip: string
  /** a port free on this host for the daemon's libp2p TCP listener (fixed, so restarts reuse it) */
  port: number
}

export interface Impairment { loss?: number, delayMs?: number, blackhole?: boolean }

export interface Topology {
  readonly kind: 'loopback' | 'netns'
  addHost (name: string): Promise<Host>
  /** argv prefix that runs a command on the host */
  wrap (host: Host, argv: string[]): string[]
  impair (host: Host, how: Impairment): Promise<void>
  close (): Promise<void>
}

export class LoopbackTopology implements Topology {
  readonly kind = 'loopback'
  async addHost (name: string): Promise<Host> { return { name, ip: '127.0.0.1', port: await freePort() } }
  wrap (_host: Host, argv: string[]): string[] { return argv }
  async impair (): Promise<void> { throw new Error('loopback topology cannot impair links') }
  async close (): Promise<void> {}
}

const NS_PREFIX = 'edgecoder-drill-'
const LINKEM = fileURLToPath(new URL('../../../test/drills/linkem.py', import.meta.url))

/** Why netns drills cannot run here, or undefined when they can. */
export async function netnsUnavailable (): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'not Linux'
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_NET_ADMIN)'
  try { await run('ip', ['-V']) } catch { return '`ip` (iproute2) is not installed' }
  try { await access('/dev/net/tun', constants.R_OK | constants.W_OK) } catch { return '/dev/net/tun is missing' }
  try { await run('python3', ['-c', 'import fcntl, select']) } catch { return 'python3 is missing (the link emulator needs it)' }
  const probe = `${NS_PREFIX}probe-${process.pid}`
  try {
    await run('ip', ['netns', 'add', probe])
  } catch (err) {
    return `cannot create a network namespace: ${(err as Error).message.split('\n')[0]}`
  } finally {
    await run('ip', ['netns', 'del', probe]).catch(() => {})
  }
  return undefined
}

/** Namespaces left by drill runs whose process is gone (a crash, kill -9 of mocha). */
export async function removeStaleNamespaces (): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list'])
  const removed: string[] = []
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0]
    const m = new RegExp(`^${NS_PREFIX}(\\d+)-`).exec(name)
    if (m == null) continue
    const pid = Number(m[1])
    let alive = true
    try { process.kill(pid, 0) } catch { alive = false }
    if (alive) continue
    await run('ip', ['netns', 'del', name]).catch(() => {})
    removed.push(name)
  }
  return removed
}

export class NetnsTopology implements Topology {
  readonly kind = 'netns'
  private readonly hosts: Host[] = []
  private emulator?: ChildProcess
  private readonly pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  private nextId = 1
  private readonly subnet: string
  private closed = false

  constructor () {
    // one /24 per test process, so concurrent runs never share addresses
    this.subnet = `10.213.${process.pid % 250}`
  }

  async start (): Promise<void> {
    await removeStaleNamespaces()
    const child = spawn('python3', ['-u', LINKEM], { stdio: ['pipe', 'pipe', 'inherit'] })
    this.emulator = child
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', line => {
      const msg = JSON.parse(line) as { id: number, ok: boolean, error?: string }
      const p = this.pending.get(msg.id)
      if (p == null) return
      this.pending.delete(msg.id)
      if (msg.ok) p.resolve(msg); else p.reject(new Error(`link emulator: ${msg.error ?? '?'}`))
    })
    child.on('exit', () => { for (const p of this.pending.values()) p.reject(new Error('link emulator exited')) })
    // the drill process itself reaches the daemons' control APIs through one more link, left unimpaired
    const dev = `ed${process.pid.toString(36)}c`
    await this.ask({ op: 'add', host: '__control', dev, ip: `${this.subnet}.254` })
    await run('ip', ['addr', 'add', `${this.subnet}.254/24`, 'dev', dev])
    await run('ip', ['link', 'set', dev, 'up'])
  }

  private async ask (cmd: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++
    return await new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.emulator?.stdin?.write(JSON.stringify({ ...cmd, id }) + '\n')
    })
  }

  async addHost (name: string): Promise<Host> {
    const n = this.hosts.length + 1
    const host: Host = { name, ns: `${NS_PREFIX}${process.pid}-${name}`, ip: `${this.subnet}.${n}`, port: 4001 }
    // interface names are at most 15 bytes
    const dev = `ed${process.pid.toString(36)}x${n}`
    await run('ip', ['netns', 'add', host.ns as string])
    this.hosts.push(host)
    await this.ask({ op: 'add', host: name, dev, ip: host.ip })
    const ns = host.ns as string
    await run('ip', ['link', 'set', dev, 'netns', ns])
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    await run('ip', ['-n', ns, 'addr', 'add', `${host.ip}/24`, 'dev', dev])
    await run('ip', ['-n', ns, 'link', 'set', dev, 'up'])
    return host
  }

  wrap (host: Host, argv: string[]): string[] {
    return host.ns != null ? ['ip', 'netns', 'exec', host.ns, ...argv] : argv
  }

  async impair (host: Host, how: Impairment): Promise<void> {
    await this.ask({ op: 'set', host: host.name, loss: how.loss ?? 0, delayMs: how.delayMs ?? 0, blackhole: how.blackhole ?? false })
  }

  async stats (): Promise<Record<string, { sent: number, dropped: number }>> {
    return ((await this.ask({ op: 'stats' })) as { stats: Record<string, { sent: number, dropped: number }> }).stats
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    // closing stdin ends the emulator and with it every TUN device
    this.emulator?.stdin?.end()
    if (this.emulator != null && this.emulator.exitCode == null) {
      const em = this.emulator
      await Promise.race([new Promise(resolve => em.once('exit', resolve)), new Promise(resolve => setTimeout(resolve, 2_000))])
      if (em.exitCode == null) em.kill('SIGKILL')
    }
    for (const h of this.hosts) if (h.ns != null) await run('ip', ['netns', 'del', h.ns]).catch(() => {})
  }
}
