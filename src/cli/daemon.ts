// `edgecoder-node start`: runs a node in the foreground until SIGINT/SIGTERM.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { rm } from 'node:fs/promises'
import { createNode, type EdgecoderNode } from '../node/create-node.js'
import { loadKeyFile } from '../identity/key-file.js'
import { DataDirFiles, assertWritable, parseHostPort, readConfig, writeFileAtomic, type NodeConfig, type Role } from '../identity/data-dir.js'
import { loadBootstrapFile } from '../mesh/bootstrap-file.js'
import { startControlServer, type ControlServer } from '../api/control-server.js'
import { createLogger, type LogLevel } from '../ops/logger.js'
import { isTokenShaped, TOKEN_SHAPE } from '../admission/tokens.js'
import { InvalidTokenError } from '../errors/index.js'
import { logOpsEvents, opsOptionsFromEnv } from '../ops/daemon-ops.js'
import { checkListenAddrs, controlApiFailure, listenFailure } from './listen-errors.js'

export interface StartOptions {
  dataDir: string
  role?: Role
  listen: string[]
  bootstrap?: string
  http?: string
  slots?: number
  allowCommands: string[]
  logLevel: LogLevel
  /** how long SIGTERM waits for running jobs before handing them back */
  drainTimeoutMs: number
  /** worker or client: registration token (else AGENT_REGISTRATION_TOKEN, else config) */
  token?: string
  /** coordinator: admission mode and auto-approval (else config) */
  admission?: 'token' | 'open'
  autoApprove?: boolean
  adminKeys: string[]
  label?: string
}

export async function runDaemon (o: StartOptions): Promise<void> {
  const cfg: NodeConfig = await readConfig(o.dataDir)
  const role = o.role ?? cfg.role
  // AGENT_ID (the service environment file) names this node in every log line
  const log = createLogger({ level: o.logLevel, component: 'edgecoder', base: { role, ...(process.env.AGENT_ID != null && process.env.AGENT_ID !== '' ? { agentId: process.env.AGENT_ID } : {}) } })
  const privateKey = await loadKeyFile(o.dataDir)
  // with no bootstrap file named, the packaged default (the local mesh, no fixed peers)
  const bootstrapPath = o.bootstrap ?? cfg.bootstrap ?? fileURLToPath(new URL('../../../bootstrap/default.json', import.meta.url))
  // validate before anything is opened or written
  const boot = bootstrapPath != null ? await loadBootstrapFile(bootstrapPath) : undefined
  const http = o.http ?? cfg.http ?? '127.0.0.1:0'
  const { host, port } = parseHostPort(http, '--http')
  const listen = o.listen.length > 0 ? o.listen : cfg.listen
  // errors name where the address came from
  const listenFrom = o.listen.length > 0 ? '--listen' : `${join(o.dataDir, 'config.json')} "listen"`
  const httpFrom = o.http != null ? '--http' : cfg.http != null ? `${join(o.dataDir, 'config.json')} "http"` : '--http'
  checkListenAddrs(listen, listenFrom)
  // the contributor runbook's variable, as well as the flag and the config field
  const envToken = process.env.AGENT_REGISTRATION_TOKEN
  // workers and clients enroll (a client's jobs are accepted only once it is admitted); a
  // coordinator ignores a token in its environment
  const token = role === 'coordinator' ? undefined : o.token ?? (envToken != null && envToken !== '' ? envToken : undefined) ?? cfg.token
  if (token != null && !isTokenShaped(token)) throw new InvalidTokenError(`the registration token is malformed (expected ${TOKEN_SHAPE}); check --token or AGENT_REGISTRATION_TOKEN`)
  await assertWritable(o.dataDir)

  let node: EdgecoderNode
  try {
    node = await createNode({
      role,
      dataDir: o.dataDir,
      privateKey,
      bootstrap: boot,
      listen,
      dhtServer: cfg.dhtServer,
      slots: o.slots ?? cfg.slots,
      processAllowlist: [...cfg.processAllowlist, ...o.allowCommands],
      offer: cfg.executors,
      leaseMs: cfg.leaseMs,
      admission: { mode: o.admission ?? cfg.admission, autoApprove: o.autoApprove ?? cfg.autoApprove },
      adminKeys: [...cfg.adminKeys, ...o.adminKeys],
      newMesh: cfg.newMesh,
      token,
      label: o.label ?? process.env.AGENT_ID,
      ops: opsOptionsFromEnv(process.env),
      prometheus: true
    })
  } catch (err) {
    throw listenFailure(err, listenFrom)
  }
  // enrollment first: its answers may already be in (they come as soon as a coordinator is met),
  // so what is known now is logged, then every change: the line is never lost
  const enrollment = (d: { coordinator: string, status: string, reason: string }): void => { (d.status === 'active' ? log.info : log.warn)(`enrollment ${d.status}`, { peerId: d.coordinator, reason: d.reason }) }
  node.events.on('admission:status', enrollment)
  for (const [coordinator, e] of Object.entries(node.admission.standing())) enrollment({ coordinator, ...e })
  logOpsEvents(node.ops, log)
  let api: ControlServer | undefined
  try {
    api = await startControlServer(node, host, port)
  } catch (err) {
    await node.stop()
    throw controlApiFailure(err, httpFrom)
  }
  const apiPath = join(o.dataDir, DataDirFiles.api)
  await writeFileAtomic(apiPath, JSON.stringify({ url: api.url, token: api.token, pid: process.pid, peerId: node.peerId.toString() }, null, 2) + '\n', 0o600)
  const addrs = node.multiaddrs().map(m => m.toString())
  // a ready-made bootstrap file pointing at this node, for the next node to use
  // with the mesh's admin keys: a node that joins with it checks every coordinator from the first second
  await writeFileAtomic(join(o.dataDir, DataDirFiles.bootstrapOut), JSON.stringify(node.bootstrapConfig(), null, 2) + '\n', 0o644)

  const ev = node.events
  ev.on('job:queued', d => { log.info('job queued', { jobId: d.jobId, executor: d.executor }) })
  ev.on('job:assigned', d => { log.info('job assigned', { jobId: d.jobId, peerId: d.worker, attempt: d.attempt }) })
  ev.on('job:completed', d => { log.info('job succeeded', { jobId: d.jobId }) })
  ev.on('job:failed', d => { log.warn('job failed', { jobId: d.jobId, reason: d.reason }) })
  ev.on('job:cancelled', d => { log.info('job cancelled', { jobId: d.jobId }) })
  ev.on('job:requeued', d => { log.warn('job requeued', { jobId: d.jobId, attempt: d.attempt, reason: d.reason }) })
  ev.on('work:assigned', d => { log.info('running job', { jobId: d.jobId, peerId: d.coordinator, attempt: d.attempt, executor: d.executor }) })
  ev.on('work:finished', d => { log.info('job finished', { jobId: d.jobId, exitCode: d.exitCode, error: d.error, wallMs: d.wallMs }) })
  ev.on('work:rejected', d => { log.warn('assignment refused', { peerId: d.coordinator, error: d.error, reason: d.reason }) })
  ev.on('admin:applied', d => { log.info('admin action applied', { kind: d.kind, target: d.target }) })
  ev.on('authority:changed', d => { log.info('mesh authority changed', { coordinators: d.coordinators, adminKeys: d.adminKeys }) })
  ev.on('work:refused', d => { log.warn('result refused', { jobId: d.jobId, peerId: d.coordinator, attempt: d.attempt, error: d.error, reason: d.reason }) })
  ev.on('work:aborted', d => { log.info('job aborted', { jobId: d.jobId, reason: d.reason }) })
  // evidence against a coordinator is loud: an error line an operator's log alerting will catch
  ev.on('ledger:restore', d => { log[d.level](d.msg, d.fields) })
  ev.on('ledger:alert', d => { log.error('LEDGER EVIDENCE: a coordinator log does not add up', { peerId: d.log, kind: d.kind, detail: d.detail, evidenceId: d.evidenceId }) })
  for (const l of node.replica?.list() ?? []) {
    if (l.damaged != null) log.error('ledger replica damaged', { peerId: l.log, detail: l.damaged })
    if (l.frozen) log.error('ledger replica frozen on evidence (see `edgecoder-node ledger evidence`)', { peerId: l.log })
  }
  node.libp2p.addEventListener('peer:connect', e => { log.debug('peer connected', { peerId: e.detail.toString() }) })

  if (node.ledger?.appendsHeld != null) log.error('LEDGER APPENDS HELD: restored from a backup, catching up from replicas before the first append', { reason: node.ledger.appendsHeld, ledgerSize: node.ledger.size })
  log.info('node started', { peerId: node.peerId.toString(), meshId: node.meshId, multiaddrs: addrs, api: api.url })
  logAuthority(node, log)

  await new Promise<void>(resolve => {
    let stopping = false
    const shutdown = (sig: string): void => {
      if (stopping) { log.warn('second signal: stopping now', { signal: sig }); return }
      stopping = true
      log.info('shutting down', { signal: sig })
      void (async () => {
        try {
          if (node.worker != null) {
            // finish what is running (bounded), then hand back anything left
            await node.worker.drain(AbortSignal.timeout(o.drainTimeoutMs)).catch(() => { log.warn('drain timed out: handing back running jobs') })
          }
          await api?.close()
          await rm(apiPath, { force: true })
          await node.stop()
          log.info('stopped')
        } finally {
          resolve()
        }
      })()
    }
    process.once('SIGINT', () => { shutdown('SIGINT') })
    process.once('SIGTERM', () => { shutdown('SIGTERM') })
  })
}

/** Says at start whom this node accepts as coordinators, and whether it is one. */
function logAuthority (node: EdgecoderNode, log: ReturnType<typeof createLogger>): void {
  const authority = node.admission.state.authority
  const self = node.peerId.toString()
  if (authority.adminKeys.length === 0) {
    log.warn('no admin key of the mesh is known: no coordinator is accepted; start with the bootstrap file a coordinator of the mesh wrote (it carries the admin keys)')
    return
  }
  const granted = authority.coordinators().filter(c => c.state === 'granted').map(c => c.peerId)
  log.info('mesh authority', { adminKeys: authority.adminKeys, coordinators: granted, admin: authority.isAdmin(self) })
  if (node.role === 'coordinator' && !authority.isGranted(self)) {
    log.warn(`not a granted coordinator: giving no work until a mesh admin runs \`edgecoder-node admin coordinator add ${self}\``, { reason: authority.standing(self).why })
  }
}
