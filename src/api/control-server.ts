// The loopback control API a running daemon serves to the CLI on the same machine. Its address and
// a random bearer credential go into <data-dir>/api.json (mode 0600): whoever can read the data dir
// can drive the daemon, nobody else can.
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { EdgecoderNode } from '../node/create-node.js'
import { JOB_STATES, type JobState } from '../jobs/types.js'
import { jobStatusToJson, peerTopology } from './views.js'
import { InvalidArgumentError, JobNotFoundError } from '../errors/index.js'
import { DataDirError } from '../errors/index.js'

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
        pid: process.pid
      })
      return
    }
    if (req.method === 'GET' && url.pathname === '/v1/peers') {
      send(res, 200, { peers: await peerTopology(node, signal) })
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
      reject(new DataDirError(`cannot listen on ${host}:${port} for the control API: ${err.code ?? err.message}`))
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
  if (['InvalidArgumentError', 'InvalidJobSpecError', 'InvalidStateError', 'NotSubmitterError'].includes(err.name)) return 400
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
