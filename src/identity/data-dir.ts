// The data dir holds everything a node is: its key, its config, its stores, and the address and
// credential of its loopback control API. Nothing outside it is written.
import { peerIdFromString } from '@libp2p/peer-id'
import { isTokenShaped, TOKEN_SHAPE } from '../admission/tokens.js'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { mkdir, readFile, rename, stat, chmod, open, unlink } from 'node:fs/promises'
import { DataDirError, InvalidConfigError } from '../errors/index.js'

export type Role = 'coordinator' | 'worker' | 'client'
export const ROLES: readonly Role[] = ['coordinator', 'worker', 'client']

export function defaultDataDir (env: NodeJS.ProcessEnv = process.env): string {
  if (env.EDGECODER_DATA_DIR != null && env.EDGECODER_DATA_DIR !== '') return resolve(env.EDGECODER_DATA_DIR)
  const base = env.XDG_DATA_HOME != null && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share')
  return join(base, 'edgecoder')
}

export const DataDirFiles = {
  key: 'identity.key',
  config: 'config.json',
  api: 'api.json',
  bootstrapOut: 'bootstrap.json',
  jobsDb: 'jobs-db',
  ledgerDb: 'ledger-db',
  replicaDb: 'replica-db',
  clientDb: 'client-db',
  admissionDb: 'admission-db'
} as const

export async function ensureDir (dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new DataDirError(`cannot create data dir ${dir}: ${(err as Error).message}`)
  }
}

/** Writes a file atomically (temp + rename) so a crash never leaves half a file. */
export async function writeFileAtomic (path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  const fh = await open(tmp, 'w', mode)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await chmod(tmp, mode)
  await rename(tmp, path)
}

/**
 * Fails with one clear line when the data dir cannot be written (read-only mount, wrong owner, full
 * disk): the stores would otherwise fail deep inside LevelDB with a misleading error (a read-only
 * mount shows up as "ENOENT ... mkdir"). Leaves nothing behind either way.
 */
export async function assertWritable (dataDir: string): Promise<void> {
  const probe = join(dataDir, `.write-test.${process.pid}`)
  try {
    const fh = await open(probe, 'w', 0o600)
    try { await fh.writeFile('ok') } finally { await fh.close() }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'EROFS'
      ? 'is on a read-only file system'
      : code === 'EACCES' || code === 'EPERM'
        ? 'is not writable by this user'
        : code === 'ENOSPC' || code === 'EDQUOT'
          ? 'has no space left on its device'
          : `cannot be written (${code ?? (err as Error).message})`
    throw new DataDirError(`data dir ${dataDir} ${why}; nothing was changed`)
  } finally {
    await unlink(probe).catch(() => {})
  }
}

export async function exists (path: string): Promise<boolean> {
  try { await stat(path); return true } catch { return false }
}

/** Node settings kept in <data-dir>/config.json. Every field is optional on disk. */
export interface NodeConfig {
  role: Role
  /** multiaddrs to listen on */
  listen: string[]
  /** path of the bootstrap peer config file */
  bootstrap?: string
  /** loopback control/ops HTTP address, HOST:PORT */
  http?: string
  /** worker: jobs run at once */
  slots: number
  /** worker: commands the process executor may run */
  processAllowlist: string[]
  /** worker: executors offered (default: all registered) */
  executors?: string[]
  /** coordinator: lease length for assignments */
  leaseMs: number
  /** coordinator: 'token' (default: enrolled and approved nodes only) or 'open' */
  admission: 'token' | 'open'
  /** coordinator: approve every enrollment at once */
  autoApprove: boolean
  /** the mesh's admin keys (peer ids), with those of the bootstrap file: the trust anchor */
  adminKeys: string[]
  /** coordinator: this data dir creates a mesh (init --new-mesh); default: when no admin key is known */
  newMesh?: boolean
  /** worker: registration token (AGENT_REGISTRATION_TOKEN and --token take precedence) */
  token?: string
  /** serve the kad-dht for others (default: coordinators only; a directly reachable worker may) */
  dhtServer?: boolean
}

export function defaultConfig (role: Role): NodeConfig {
  return {
    role,
    // WebRTC-direct listening is opt-in (--listen /ip4/0.0.0.0/udp/0/webrtc-direct): with its UDP
    // listener open, node-datachannel's native threads can abort the process at exit after a clean
    // shutdown (SIGABRT instead of exit 0). Dialing WebRTC-direct peers works either way.
    listen: ['/ip4/0.0.0.0/tcp/0'],
    slots: 2,
    processAllowlist: [],
    leaseMs: 10_000,
    admission: 'token',
    autoApprove: false,
    adminKeys: []
  }
}

export async function readConfig (dataDir: string): Promise<NodeConfig> {
  const path = join(dataDir, DataDirFiles.config)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    throw new DataDirError(`${dataDir} is not initialised (no ${DataDirFiles.config}); run: edgecoder-node init --data-dir ${dataDir} --role worker|coordinator|client`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new InvalidConfigError(`${path}: not valid JSON (${(err as Error).message})`)
  }
  return validateConfig(raw, path)
}

export function validateConfig (raw: unknown, source: string): NodeConfig {
  if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidConfigError(`${source}: must be a JSON object`)
  const o = raw as Record<string, unknown>
  const known = new Set(['role', 'listen', 'bootstrap', 'http', 'slots', 'processAllowlist', 'executors', 'leaseMs', 'admission', 'autoApprove', 'adminKeys', 'token', 'dhtServer', 'newMesh'])
  for (const k of Object.keys(o)) if (!known.has(k)) throw new InvalidConfigError(`${source}: unknown field "${k}"`)
  if (typeof o.role !== 'string' || !(ROLES as readonly string[]).includes(o.role)) {
    throw new InvalidConfigError(`${source}: field "role" must be one of ${ROLES.join(', ')}`)
  }
  const cfg = defaultConfig(o.role as Role)
  if (o.listen !== undefined) cfg.listen = stringArray(o.listen, 'listen', source)
  if (o.bootstrap !== undefined) {
    if (typeof o.bootstrap !== 'string') throw new InvalidConfigError(`${source}: field "bootstrap" must be a path string`)
    cfg.bootstrap = o.bootstrap
  }
  if (o.http !== undefined) {
    if (typeof o.http !== 'string') throw new InvalidConfigError(`${source}: field "http" must be "HOST:PORT"`)
    parseHostPort(o.http, `${source}: field "http"`)
    cfg.http = o.http
  }
  if (o.slots !== undefined) cfg.slots = intIn(o.slots, 'slots', 1, 1024, source)
  if (o.leaseMs !== undefined) cfg.leaseMs = intIn(o.leaseMs, 'leaseMs', 500, 3_600_000, source)
  if (o.processAllowlist !== undefined) cfg.processAllowlist = stringArray(o.processAllowlist, 'processAllowlist', source)
  if (o.executors !== undefined) cfg.executors = stringArray(o.executors, 'executors', source)
  if (o.admission !== undefined) {
    if (o.admission !== 'token' && o.admission !== 'open') throw new InvalidConfigError(`${source}: field "admission" must be "token" or "open"`)
    cfg.admission = o.admission
  }
  if (o.autoApprove !== undefined) {
    if (typeof o.autoApprove !== 'boolean') throw new InvalidConfigError(`${source}: field "autoApprove" must be true or false`)
    cfg.autoApprove = o.autoApprove
  }
  if (o.newMesh !== undefined) {
    if (typeof o.newMesh !== 'boolean') throw new InvalidConfigError(`${source}: field "newMesh" must be true or false`)
    cfg.newMesh = o.newMesh
  }
  if (o.dhtServer !== undefined) {
    if (typeof o.dhtServer !== 'boolean') throw new InvalidConfigError(`${source}: field "dhtServer" must be true or false`)
    cfg.dhtServer = o.dhtServer
  }
  if (o.adminKeys !== undefined) cfg.adminKeys = stringArray(o.adminKeys, 'adminKeys', source).map((k, i) => peerIdField(k, `adminKeys[${i}]`, source))
  if (o.token !== undefined) {
    if (typeof o.token !== 'string' || !isTokenShaped(o.token)) throw new InvalidConfigError(`${source}: field "token" is not a registration token (${TOKEN_SHAPE})`)
    cfg.token = o.token
  }
  return cfg
}

function peerIdField (v: string, field: string, source: string): string {
  try { peerIdFromString(v) } catch { throw new InvalidConfigError(`${source}: field "${field}" is not a peer id`) }
  return v
}

function stringArray (v: unknown, field: string, source: string): string[] {
  if (!Array.isArray(v) || v.some(x => typeof x !== 'string' || x === '')) {
    throw new InvalidConfigError(`${source}: field "${field}" must be an array of non-empty strings`)
  }
  return v as string[]
}

function intIn (v: unknown, field: string, min: number, max: number, source: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidConfigError(`${source}: field "${field}" must be an integer from ${min} to ${max}`)
  }
  return v
}

export function parseHostPort (value: string, what: string): { host: string, port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(value)
  if (m == null) throw new InvalidConfigError(`${what} must be HOST:PORT, got "${value}"`)
  const port = Number(m[2])
  if (port > 65535) throw new InvalidConfigError(`${what}: port ${port} out of range`)
  return { host: m[1].replace(/^\[|\]$/g, ''), port }
}

export async function writeConfig (dataDir: string, cfg: NodeConfig): Promise<void> {
  await writeFileAtomic(join(dataDir, DataDirFiles.config), JSON.stringify(cfg, null, 2) + '\n', 0o600)
}
