// The one HTTP server a running daemon has: the probes and metrics page for anyone on the host
// (/health /ready /status /metrics), and the control API the CLI drives (/v1/...), behind a random
// bearer credential written with the address into <data-dir>/api.json (mode 0600): whoever can read
// the data dir can drive the daemon, nobody else can. It is a Hono app served by @hono/node-server
// (docs/architecture.md, "The HTTP layer"). Routes return replies or throw typed errors; this file
// alone turns a reply into a response, and every error into one (app.onError, error-status.ts).
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Server, ServerResponse } from 'node:http'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { createAdaptorServer, type HttpBindings } from '@hono/node-server'
import type { EdgecoderNode } from '../node/create-node.js'
import { AddressInUseError, InvalidArgumentError, ListenError } from '../errors/index.js'
import { NotFoundError, UnauthorizedError } from '../errors/index.js'
import { errorBody, statusOf } from './error-status.js'
import type { Reply, RequestContext, Route } from './route.js'
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

type Env = { Bindings: HttpBindings }

const ROUTES: readonly Route[] = [...opsRoutes, ...nodeRoutes, ...admissionRoutes, ...ledgerRoutes, ...jobRoutes]
const PUBLIC_PATHS: ReadonlySet<string> = new Set(ROUTES.filter(r => r.public === true).map(r => r.path))
const MAX_BODY = 8 * 1024 * 1024
const REQUEST_TIMEOUT_MS = 30_000

export async function startControlServer (node: EdgecoderNode, host: string, port: number): Promise<ControlServer> {
  const token = randomBytes(24).toString('base64url')
  const server = createAdaptorServer({
    fetch: controlApp(node, Buffer.from(`Bearer ${token}`)).fetch,
    // the daemon shares its process with libp2p (and the tests with their own fetch): leave the
    // global Request and Response as Node made them
    overrideGlobalObjects: false,
    // a request without a Host header is still served, as node:http alone served it
    hostname: host
  }) as Server

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

/** The app: the credential check, then the routes in order, then one answer for no route. */
function controlApp (node: EdgecoderNode, expected: Buffer): Hono<Env> {
  // routes see the path's non-empty segments, as they always have: '/v1/node/' is '/v1/node'.
  // The path is not percent-decoded for routing ('/v1/n%6Fde' is no route).
  const app = new Hono<Env>({ getPath: req => '/' + segments(pathOf(req)).join('/') })
  app.use(credential(expected))
  for (const route of ROUTES) {
    const handler = async (c: Context<Env>, next: () => Promise<void>): Promise<Response | undefined> => {
      // a public route answers only the exact path ('/health/' is normalised to it, and is no route);
      // Hono routes a HEAD as a GET, which no route here answers (only a '*' fallback does)
      const skip = (route.public === true && pathOf(c.req.raw) !== route.path) || (route.method !== '*' && route.method !== c.req.method)
      if (skip) { await next(); return undefined }
      try {
        return await toResponse(await route.handle(context(node, c)), c.env.outgoing)
      } catch (err) {
        // Hono hands only Errors to onError; anything else thrown is an Error here, a 500
        throw err instanceof Error ? err : new Error(String(err))
      }
    }
    if (route.method === '*') app.all(route.path, handler)
    else app.on(route.method, route.path, handler)
  }
  app.notFound(c => respondWithError(new NotFoundError(`no route ${c.req.method} ${pathOf(c.req.raw)}`)))
  app.onError(err => respondWithError(err))
  return app
}

/**
 * Before any route is looked up: an unauthenticated caller learns nothing about routes (401, never
 * 404). Only GETs of the exact probe paths need no credential.
 */
function credential (expected: Buffer): MiddlewareHandler<Env> {
  return async (c, next) => {
    if (!(c.req.method === 'GET' && PUBLIC_PATHS.has(pathOf(c.req.raw)))) {
      const auth = Buffer.from(c.req.header('authorization') ?? '')
      if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
        throw new UnauthorizedError('missing or wrong bearer token (see api.json in the data dir)')
      }
    }
    await next()
  }
}

function context (node: EdgecoderNode, c: Context<Env>): RequestContext {
  const { incoming, outgoing } = c.env
  const url = new URL(c.req.url)
  let disconnected: AbortController | undefined
  return {
    node,
    method: c.req.method,
    path: url.pathname,
    parts: segments(url.pathname),
    params: c.req.param(),
    query: url.searchParams,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    get disconnected () {
      if (disconnected == null) {
        const ac = new AbortController()
        // the request closes when the exchange ends; before the response is finished, the client left
        incoming.on('close', () => { if (!outgoing.writableFinished) ac.abort() })
        disconnected = ac
      }
      return disconnected.signal
    },
    json: async () => await readJson(c.req.raw)
  }
}

async function toResponse (reply: Reply, outgoing: ServerResponse): Promise<Response> {
  switch (reply.kind) {
    case 'json':
      return jsonResponse(reply.status, reply.body)
    case 'text':
      return new Response(reply.body, { status: reply.status, headers: { 'content-type': reply.contentType, 'content-length': String(Buffer.byteLength(reply.body)) } })
    case 'stream': {
      // taken before the status is sent: an error here is still an error response (onError)
      const first = await reply.chunks.next()
      const chunks = reply.chunks
      const enc = new TextEncoder()
      const body = new ReadableStream<Uint8Array>({
        start: controller => { if (first.done !== true) controller.enqueue(enc.encode(first.value)) },
        // pulled as the client reads. Once a stream has begun, only the connection can say it
        // failed: destroy it, as node:http alone did. Not controller.error(): node-server would log
        // the error and write its text after the chunks sent
        pull: async controller => {
          let n: IteratorResult<string>
          try {
            n = await chunks.next()
          } catch (err) {
            outgoing.destroy(err instanceof Error ? err : new Error(String(err)))
            return
          }
          if (n.done === true) controller.close()
          else controller.enqueue(enc.encode(n.value))
        },
        // the client went away: finish the generator (its finally blocks run)
        cancel: () => { void chunks.return(undefined).catch(() => {}) }
      })
      // chunked: node-server then sends the status at once rather than reading ahead for a length,
      // so no later chunk is read before the status is sent
      return new Response(body, { status: reply.status, headers: { 'content-type': reply.contentType, 'transfer-encoding': 'chunked' } })
    }
  }
}

/** The one place an error becomes a response (onError, and notFound through it). */
function respondWithError (err: Error): Response {
  return jsonResponse(statusOf(err), errorBody(err))
}

function jsonResponse (status: number, body: unknown): Response {
  const text = JSON.stringify(body, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v)
  return new Response(text, { status, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } })
}

async function readJson (req: Request): Promise<unknown> {
  const chunks: Uint8Array[] = []
  let size = 0
  if (req.body != null) {
    for await (const chunk of req.body) {
      size += chunk.length
      if (size > MAX_BODY) throw new InvalidArgumentError(`request body over ${MAX_BODY} bytes`)
      chunks.push(chunk)
    }
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new InvalidArgumentError('request body is not valid JSON')
  }
}

/** The URL's path as requested, not decoded (what the routes and error messages have always seen). */
function pathOf (req: Request): string {
  return new URL(req.url).pathname
}

function segments (path: string): string[] {
  return path.split('/').filter(Boolean)
}
