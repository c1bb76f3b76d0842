// The one HTTP server a running daemon has: the probes and metrics page for anyone on the host
// (/health /ready /status /metrics), and the control API the CLI drives (/v1/...), behind a random
// bearer credential written with the address into <data-dir>/api.json (mode 0600): whoever can read
// the data dir can drive the daemon, nobody else can. Routes return replies or throw typed errors;
// this file alone writes responses, and turns every error into one (error-status.ts).
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { EdgecoderNode } from '../node/create-node.js'
import { AddressInUseError, InvalidArgumentError, ListenError } from '../errors/index.js'
import { NotFoundError, UnauthorizedError } from '../errors/index.js'
import { errorBody, statusOf } from './error-status.js'
import { matchPublicRoute, matchRoute, type Reply, type RequestContext, type Route } from './route.js'
import { opsRoutes } from './routes/ops-routes.js'
import { nodeRoutes } from './routes/node-routes.js'
import { admissionRoutes } from './routes/admission-routes.js'
import { ledgerRoutes } from './routes/ledger-routes.js'
import { jobRoutes } from './routes/job-routes.js'

export interface ControlServer {
  url: string
  token: string
  close (): Promise<void>
}

const ROUTES: readonly Route[] = [...opsRoutes, ...nodeRoutes, ...admissionRoutes, ...ledgerRoutes, ...jobRoutes]
const MAX_BODY = 8 * 1024 * 1024
const REQUEST_TIMEOUT_MS = 30_000

export async function startControlServer (node: EdgecoderNode, host: string, port: number): Promise<ControlServer> {
  const token = randomBytes(24).toString('base64url')
  const expected = Buffer.from(`Bearer ${token}`)
  const server: Server = createServer((req, res) => {
    void serve(node, expected, req, res).catch(err => { respondWithError(res, err) })
  })

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

async function serve (node: EdgecoderNode, expected: Buffer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET'
  const url = new URL(req.url ?? '/', 'http://localhost')
  const parts = url.pathname.split('/').filter(Boolean)
  let route = matchPublicRoute(ROUTES, method, url.pathname)
  let params: Record<string, string> = {}
  if (route == null) {
    const auth = Buffer.from(req.headers.authorization ?? '')
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      throw new UnauthorizedError('missing or wrong bearer token (see api.json in the data dir)')
    }
    const m = matchRoute(ROUTES, method, parts)
    if (m == null) throw new NotFoundError(`no route ${method} ${url.pathname}`)
    route = m.route
    params = m.params
  }
  let disconnected: AbortController | undefined
  const ctx: RequestContext = {
    node,
    method,
    path: url.pathname,
    parts,
    params,
    query: url.searchParams,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    get disconnected () {
      if (disconnected == null) {
        const c = new AbortController()
        req.on('close', () => { if (!res.writableFinished) c.abort() })
        disconnected = c
      }
      return disconnected.signal
    },
    json: async () => await readJson(req)
  }
  await writeReply(res, await route.handle(ctx))
}

async function writeReply (res: ServerResponse, reply: Reply): Promise<void> {
  switch (reply.kind) {
    case 'json':
      writeJson(res, reply.status, reply.body)
      return
    case 'text':
      res.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) })
      res.end(reply.body)
      return
    case 'stream': {
      const first = await reply.chunks.next()
      res.writeHead(reply.status, { 'content-type': reply.contentType })
      if (first.done !== true) res.write(first.value)
      for await (const c of reply.chunks) {
        if (!res.write(c)) await new Promise<void>(resolve => res.once('drain', resolve))
      }
      res.end()
    }
  }
}

/** The one place an error becomes a response; once a stream has begun, only the connection can say it. */
function respondWithError (res: ServerResponse, thrown: unknown): void {
  const err = thrown instanceof Error ? thrown : new Error(String(thrown))
  if (res.headersSent) {
    res.destroy(err)
    return
  }
  writeJson(res, statusOf(err), errorBody(err))
}

function writeJson (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

async function readJson (req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    const chunk = Buffer.isBuffer(c) ? c : Buffer.from(String(c))
    size += chunk.length
    if (size > MAX_BODY) throw new InvalidArgumentError(`request body over ${MAX_BODY} bytes`)
    chunks.push(chunk)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new InvalidArgumentError('request body is not valid JSON')
  }
}
