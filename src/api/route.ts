// What a route of the HTTP API is: a method and a path pattern, and a handler that returns a reply
// or throws a typed error. Handlers never write to the response: the server does, in one place
// (src/api/control-server.ts), so the status of every error is decided by one map.
import type { EdgecoderNode } from '../node/create-node.js'

export type Method = 'GET' | 'POST'

export interface RequestContext {
  readonly node: EdgecoderNode
  readonly method: string
  /** the URL's path, as requested */
  readonly path: string
  /** the path's non-empty segments */
  readonly parts: readonly string[]
  /** the segments the route's `:name` placeholders matched */
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
   * Segments separated by '/': a literal, `:name` (one segment, into `params`), or a final `*`
   * (any number of segments). A public route matches its path exactly.
   */
  readonly path: string
  /** served without the bearer credential: the probes and the metrics page */
  readonly public?: boolean
  readonly handle: (ctx: RequestContext) => Promise<Reply>
}

/** The first route, in order, that matches; undefined when none does. */
export function matchRoute (routes: readonly Route[], method: string, parts: readonly string[]): { route: Route, params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.public === true || (route.method !== '*' && route.method !== method)) continue
    const params = matchPath(route.path, parts)
    if (params != null) return { route, params }
  }
  return undefined
}

/** The public route for this exact request, if any: public routes are GETs of one exact path. */
export function matchPublicRoute (routes: readonly Route[], method: string, path: string): Route | undefined {
  if (method !== 'GET') return undefined
  return routes.find(r => r.public === true && r.path === path)
}

function matchPath (pattern: string, parts: readonly string[]): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean)
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const w = want[i]
    if (w === '*' && i === want.length - 1) return params
    const got = parts[i]
    if (got == null) return undefined
    if (w.startsWith(':')) params[w.slice(1)] = got
    else if (w !== got) return undefined
  }
  return want.length === parts.length ? params : undefined
}
