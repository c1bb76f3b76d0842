// The loopback control API a running daemon serves to the CLI on the same machine. Its address and
// a random bearer credential go into <data-dir>/api.json (mode 0600): whoever can read the data dir
// can drive the daemon, nobody else can.
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { EdgecoderNode } from '../node/create-node.js'
import { JOB_STATES, type JobState } from '../jobs/types.js'
import { jobStatusToJson, peerTopology } from './views.js'
import { InvalidArgumentError, JobNotFoundError } from '../errors/index.js'
import { AddressInUseError, ListenError } from '../errors/index.js'
import { ledgerView, entryToJson } from '../ledger/ledger-view.js'
import { wallet } from '../ledger/wallet.js'
import { NotGrantedCoordinatorError } from '../errors/index.js'
import { handleAdmissionRoute } from './admission-routes.js'
import { handleOpsApi, handleOpsPublic } from '../ops/http.js'

export interface ControlServer {
  url: string
  token: string
  close (): Promise<void>
}

export interface SubmitBody {
  executor: string
  input?: string
  inputBase64?: string
  moduleBase64?: string
  args?: string[]
  timeoutMs?: number
  maxAttempts?: number
  offeredPrice?: string | number
  delayMs?: number
  label?: string
  coordinator?: string
}

const MAX_BODY = 8 * 1024 * 1024

export async function startControlServer (node: EdgecoderNode, host: string, port: number): Promise<ControlServer> {
  const token = randomBytes(24).toString('base64url')
  const expected = Buffer.from(`Bearer ${token}`)
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(err => { send(res, statusFor(err as Error), errorBody(err as Error)) })
  })

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await handleOpsPublic(node, req, res)) return
    const auth = Buffer.from(req.headers.authorization ?? '')
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      send(res, 401, { error: { name: 'UnauthorizedError', message: 'missing or wrong bearer token (see api.json in the data dir)' } })
      return
    }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const parts = url.pathname.split('/').filter(Boolean)
    const signal = AbortSignal.timeout(30_000)
    if (req.method === 'GET' && url.pathname === '/v1/node') {
      send(res, 200, {
        peerId: node.peerId.toString(),
        role: node.role,
        meshId: node.meshId,
        multiaddrs: node.multiaddrs().map(m => m.toString()),
        executors: node.role === 'worker' ? node.worker?.offered ?? [] : [],
        queueDepth: node.coordinator?.queueDepth(),
        noteKey: node.ledger?.noteKey,
        pid: process.pid
      })
      return
    }
    if (req.method === 'GET' && url.pathname === '/v1/peers') {
      send(res, 200, { peers: await peerTopology(node, signal) })
      return
    }
    if (await handleAdmissionRoute(node, req, parts, url.searchParams, res, { send, readJson })) return
    if (await handleOpsApi(node, req, res, readJson)) return
    if (parts[0] === 'v1' && parts[1] === 'ledger') {
      await handleLedger(node, req, parts[2] ?? '', url.searchParams, res, signal)
      return
    }
    if (parts[0] === 'v1' && parts[1] === 'jobs') {
      if (req.method === 'POST' && parts.length === 2) {
        const body = await readJson(req) as SubmitBody
        const id = await node.jobs.submit({
          executor: String(body.executor),
          input: body.inputBase64 != null ? new Uint8Array(Buffer.from(body.inputBase64, 'base64')) : (body.input ?? ''),
          module: body.moduleBase64 != null ? new Uint8Array(Buffer.from(body.moduleBase64, 'base64')) : undefined,
          args: body.args,
          timeoutMs: body.timeoutMs,
          maxAttempts: body.maxAttempts,
          offeredPrice: body.offeredPrice != null ? BigInt(body.offeredPrice) : undefined,
          delayMs: body.delayMs,
          label: body.label,
          coordinator: body.coordinator
        }, { signal })
        send(res, 201, { id })
        return
      }
      if (req.method === 'GET' && parts.length === 2) {
        const state = url.searchParams.get('state') ?? undefined
        if (state != null && !(JOB_STATES as readonly string[]).includes(state)) {
          throw new InvalidArgumentError(`--state must be one of ${JOB_STATES.join(', ')}`)
        }
        const limit = Number(url.searchParams.get('limit') ?? 1000)
        const jobs = await node.jobs.list({ state: state as JobState | undefined, limit, signal })
        send(res, 200, { jobs: jobs.map(j => jobStatusToJson(j)) })
        return
      }
      const id = parts[2]
      if (id == null || !/^[0-9a-f]{64}$/.test(id)) throw new InvalidArgumentError('a job id is 64 lowercase hex characters')
      if (req.method === 'GET' && parts.length === 3) { send(res, 200, jobStatusToJson(await node.jobs.status(id, { signal }))); return }
      if (req.method === 'GET' && parts[3] === 'result') { send(res, 200, jobStatusToJson(await node.jobs.result(id, { signal }))); return }
      if (req.method === 'POST' && parts[3] === 'cancel') { send(res, 200, jobStatusToJson(await node.jobs.cancel(id, { signal }))); return }
    }
    send(res, 404, { error: { name: 'NotFoundError', message: `no route ${req.method ?? ''} ${url.pathname}` } })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      // not a data dir problem: the caller (src/cli/daemon.ts) names the flag or config field
      reject(err.code === 'EADDRINUSE'
        ? new AddressInUseError(`${host}:${port}: address already in use (the control API)`)
        : new ListenError(`${host}:${port}: cannot listen there for the control API (${err.code ?? err.message})`))
    })
    server.listen(port, host, () => resolve())
  })
  const addr = server.address()
  const bound = typeof addr === 'object' && addr != null ? addr.port : port
  const h = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${h}:${bound}`,
    token,
    close: async () => { await new Promise<void>(resolve => server.close(() => resolve())); server.closeAllConnections() }
  }
}

function num (q: URLSearchParams, name: string, dflt?: number): number {
  const v = q.get(name)
  if (v == null || v === '') {
    if (dflt != null) return dflt
    throw new InvalidArgumentError(`--${name.replace(/[A-Z]/g, c => '-' + c.toLowerCase())} is required`)
  }
  if (!/^\d{1,15}$/.test(v)) throw new InvalidArgumentError(`--${name.replace(/[A-Z]/g, c => '-' + c.toLowerCase())} must be a whole number`)
  return Number(v)
}

async function handleLedger (node: EdgecoderNode, req: IncomingMessage, op: string, q: URLSearchParams, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const method = req.method ?? 'GET'
  const log = q.get('log') ?? undefined
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')
  if (method === 'GET' && op === 'evidence') {
    send(res, 200, { evidence: await node.replica?.evidence() ?? [] })
    return
  }
  if (method === 'GET' && op === 'receipts') {
    send(res, 200, { receipts: await node.replica?.receipts(log) ?? [] })
    return
  }
  if (method === 'GET' && op === 'logs') {
    send(res, 200, { logs: node.ledger != null ? [{ log: node.peerId.toString(), size: node.ledger.size, verifiedSize: node.ledger.checkpointSize, own: true }] : node.replica?.list() ?? [] })
    return
  }
  if (method === 'POST' && op === 'accept-restore') {
    if (node.restoreGuard == null) throw new InvalidArgumentError('accept-restore applies to a coordinator\'s own log')
    const was = node.restoreGuard.held
    await node.restoreGuard.accept()
    send(res, 200, { held: was != null, resumed: was != null, size: node.ledger?.size })
    return
  }
  if (method === 'POST' && op === 'reconcile') {
    if (node.replica == null) {
      // a coordinator reconciles by checkpointing and re-verifying its own log
      const root = await node.ledger?.verifyAll()
      send(res, 200, { outcomes: [{ log: node.peerId.toString(), size: node.ledger?.size ?? 0, verified: true, root: root != null ? b64(root) : '' }] })
      return
    }
    const authority = node.admission.state.authority
    // only granted coordinators' logs are the mesh's ledger: a stranger's is neither fetched nor stored
    if (log != null && !authority.isGranted(log)) throw new NotGrantedCoordinatorError(`log ${log} is not a granted coordinator's: ${authority.standing(log).why}`)
    const logs = log != null ? [log] : [...new Set([...node.replica.list().map(l => l.log), ...node.ledgerService.tracked])].filter(l => authority.isGranted(l))
    const outcomes = []
    for (const l of logs) outcomes.push(await node.replica.reconcile(l, signal))
    send(res, 200, { outcomes })
    return
  }
  if (method === 'POST' && op === 'checkpoint') {
    // a checkpoint seen elsewhere (another peer, a mail, a witness): processed as one from gossip
    const body = await readJson(req) as { note?: unknown }
    if (typeof body.note !== 'string') throw new InvalidArgumentError('body must be {"note": "<signed checkpoint>"}')
    send(res, 200, await node.ledgerService.checkOutsideCheckpoint(body.note, signal))
    return
  }
  if (method === 'POST' && op === 'verify') {
    if (node.ledger != null && (log == null || log === node.peerId.toString())) {
      const note = await node.ledger.latestCheckpoint()
      const root = await node.ledger.verifyAll()
      const atCheckpoint = await node.ledger.root(node.ledger.checkpointSize)
      send(res, 200, { log: node.peerId.toString(), ok: node.ledger.size === node.ledger.checkpointSize ? Buffer.compare(Buffer.from(root), Buffer.from(atCheckpoint)) === 0 : true, size: node.ledger.checkpointSize, root: b64(atCheckpoint), note })
      return
    }
    const v = await ledgerView(node, log)
    const r = await (node.replica as NonNullable<EdgecoderNode['replica']>).verify(v.log)
    send(res, 200, { ...r, evidence: (await node.replica?.evidence() ?? []).filter(e => e.log === v.log).length })
    return
  }
  if (method === 'GET' && op === 'wallet') {
    send(res, 200, await wallet(node, { log, signal }))
    return
  }
  const view = await ledgerView(node, log)
  if (method !== 'GET') throw new InvalidArgumentError(`no route ${method} /v1/ledger/${op}`)
  switch (op) {
    case 'balance': {
      const account = q.get('account')
      if (account != null && account !== '') { send(res, 200, { log: view.log, account, balance: view.balance(account).toString() }); return }
      send(res, 200, { log: view.log, balances: Object.fromEntries([...view.balances()].map(([k, v]) => [k, v.toString()])) })
      return
    }
    case 'entries': {
      const from = num(q, 'from', 0)
      const limit = Math.min(num(q, 'limit', 100), 10_000)
      const out = []
      for (let i = from; i < Math.min(view.size, from + limit); i++) out.push(entryToJson(i, await view.entry(i)))
      send(res, 200, { log: view.log, treeSize: view.size, entries: out })
      return
    }
    case 'checkpoint': {
      const note = await view.note()
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(note)
      return
    }
    case 'proof': {
      const index = num(q, 'index')
      const treeSize = num(q, 'treeSize', view.size)
      if (treeSize > view.size || index >= treeSize) throw new InvalidArgumentError(`need index < tree size <= ${view.size} (the checkpointed size)`)
      send(res, 200, { log: view.log, index, treeSize, leaf: b64(await view.entry(index)), hashes: (await view.inclusion(index, treeSize)).map(b64), root: b64(await view.root(treeSize)) })
      return
    }
    case 'consistency': {
      const from = num(q, 'from')
      const to = num(q, 'to', view.size)
      if (to > view.size || from > to || from < 1) throw new InvalidArgumentError(`need 1 <= from <= to <= ${view.size} (the checkpointed size)`)
      send(res, 200, { log: view.log, from, to, fromRoot: b64(await view.root(from)), toRoot: b64(await view.root(to)), hashes: (await view.consistency(from, to)).map(b64) })
      return
    }
  }
  throw new InvalidArgumentError(`no route GET /v1/ledger/${op}`)
}

async function readJson (req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > MAX_BODY) throw new InvalidArgumentError(`request body over ${MAX_BODY} bytes`)
    chunks.push(c as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new InvalidArgumentError('request body is not valid JSON')
  }
}

function statusFor (err: Error): number {
  if (err instanceof JobNotFoundError || err.name === 'JobNotFoundError') return 404
  if (['InvalidArgumentError', 'InvalidJobSpecError', 'InvalidStateError', 'NotSubmitterError', 'InsufficientCreditsError', 'PriceTooLowError', 'UnknownLogError', 'InvalidTokenError', 'DuplicateActionError', 'MessageExpiredError', 'InvalidSignatureError', 'WrongMeshError', 'WrongDomainError'].includes(err.name)) return 400
  if (['UnauthorizedAdminError', 'NotAdmittedError', 'NotGrantedCoordinatorError'].includes(err.name)) return 403
  if (['NoCoordinatorError', 'RpcTimeoutError'].includes(err.name)) return 503
  return 500
}

function errorBody (err: Error): unknown {
  return { error: { name: err.name, message: err.message } }
}

function send (res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v)
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
