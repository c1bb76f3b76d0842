// What a route of the HTTP API is: a method and a path pattern, and a handler that returns a reply
// or throws a typed error. The server (src/api/control-server.ts) registers each on its Hono app,
// in order, so the first route that matches answers. Handlers never write to the response: the
// server turns their replies into responses, and every error into one, so the status of every
// error is decided by one map.
import type { EdgecoderNode } from '../node/create-node.js'

export type Method = 'GET' | 'POST'

export interface RequestContext {
  readonly node: EdgecoderNode
  readonly method: string
  /** the URL's path, as requested */
  readonly path: string
  /** the path's non-empty segments */
  readonly parts: readonly string[]
  /** the segments the route's `:name` placeholders matched (percent-decoded, as Hono gives them) */
  readonly params: Readonly<Record<string, string>>
  readonly query: URLSearchParams
  /** bounds the work of one request */
  readonly signal: AbortSignal
  /** aborted when the client goes away before the response is finished */
  readonly disconnected: AbortSignal
  /** The request body, parsed as JSON. */
  json: () => Promise<unknown>
}

export type Reply =
  | { readonly kind: 'json', readonly status: number, readonly body: unknown }
  | { readonly kind: 'text', readonly status: number, readonly contentType: string, readonly body: string }
  /** the first chunk is taken before the status is sent: an error before it is still an error response */
  | { readonly kind: 'stream', readonly status: number, readonly contentType: string, readonly chunks: AsyncGenerator<string> }

export function json (body: unknown, status = 200): Reply {
  return { kind: 'json', status, body }
}

export function text (body: string, contentType: string, status = 200): Reply {
  return { kind: 'text', status, contentType, body }
}

export function stream (chunks: AsyncGenerator<string>, contentType: string, status = 200): Reply {
  return { kind: 'stream', status, contentType, chunks }
}

export interface Route {
  /** '*': any method (a fallback that names what is wrong with a path under a known prefix) */
  readonly method: Method | '*'
  /**
   * Hono's path syntax, as much of it as the routes use: literal segments, `:name` (one segment,
   * into `params`), and a final `*` (any number of segments, none included). A public route
   * matches its path exactly: no trailing slash, no empty segment.
   */
  readonly path: string
  /** served without the bearer credential: the probes and the metrics page */
  readonly public?: boolean
  readonly handle: (ctx: RequestContext) => Promise<Reply>
}
