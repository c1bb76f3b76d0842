// The HTTP layer (src/api): one server, one error→status map, one error body. Checked against a
// real node's control server on loopback, the way the CLI and a probe reach it.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Fixture, MESH } from './helpers.js'
import { startControlServer, type ControlServer } from '../src/api/control-server.js'
import { statusOf } from '../src/api/error-status.js'
import { errorClasses } from '../src/errors/index.js'
import { envelopeToBase64, signAdminAction } from '../src/admission/admin-actions.js'
import type { EdgecoderNode } from '../src/node/create-node.js'

interface ErrorJson { error: { name: string, message: string } }

describe('HTTP API layer', function () {
  this.timeout(60_000)
  const fx = new Fixture()
  const servers: ControlServer[] = []
  let coord: EdgecoderNode
  let api: ControlServer
  let client: EdgecoderNode
  let clientApi: ControlServer

  before(async () => {
    coord = await fx.coordinator()
    api = await startControlServer(coord, '127.0.0.1', 0)
    servers.push(api)
    client = await fx.node({ role: 'client' })
    clientApi = await startControlServer(client, '127.0.0.1', 0)
    servers.push(clientApi)
  })
  after(async () => {
    for (const s of servers) await s.close()
    await fx.cleanup()
  })

  const call = async (server: ControlServer, method: string, path: string, opts: { body?: string, auth?: boolean } = {}): Promise<Response> =>
    await fetch(server.url + path, { method, headers: opts.auth === false ? {} : { authorization: `Bearer ${server.token}` }, body: opts.body })

  /** An error response: its status, a JSON content type, and the one body shape. */
  const failsWith = async (r: Response, status: number, name: string, message?: RegExp): Promise<void> => {
    const text = await r.text()
    assert.equal(r.status, status, text)
    assert.equal(r.headers.get('content-type'), 'application/json')
    const body = JSON.parse(text) as ErrorJson
    assert.deepEqual(Object.keys(body), ['error'])
    assert.deepEqual(Object.keys(body.error).sort(), ['message', 'name'])
    assert.equal(body.error.name, name, text)
    if (message != null) assert.match(body.error.message, message)
  }

  it('maps errors to statuses by name, in one table', () => {
    const expected: Record<string, number> = {
      InvalidArgumentError: 400,
      InvalidJobSpecError: 400,
      NotCoordinatorError: 400,
      UnauthorizedAdminError: 403,
      NotAdmittedError: 403,
      NotGrantedCoordinatorError: 403,
      JobNotFoundError: 404,
      UnknownNodeError: 404,
      NoCoordinatorError: 503,
      RpcTimeoutError: 503,
      MalformedMessageError: 500
    }
    for (const [name, status] of Object.entries(expected)) {
      const Cls = errorClasses[name]
      assert.ok(Cls != null, `${name} is a registered error class`)
      assert.equal(statusOf(new Cls('x')), status, name)
    }
    // by name, never by class identity or message: a rebuilt remote error maps the same way
    assert.equal(statusOf(Object.assign(new Error('not an admin key'), { name: 'UnauthorizedAdminError' })), 403)
    assert.equal(statusOf(new TypeError('boom')), 500)
    assert.equal(statusOf(Object.assign(new Error('x'), { name: 'constructor' })), 500)
  })

  it('asks for the credential before it looks for a route; probes need none', async () => {
    await failsWith(await call(api, 'GET', '/v1/jobs', { auth: false }), 401, 'UnauthorizedError', /bearer token/)
    await failsWith(await call(api, 'GET', '/v1/no-such-route', { auth: false }), 401, 'UnauthorizedError')
    // only GETs of the exact probe paths are public
    await failsWith(await call(api, 'POST', '/health', { auth: false }), 401, 'UnauthorizedError')
    await failsWith(await call(api, 'GET', '/health/', { auth: false }), 401, 'UnauthorizedError')
    const health = await call(api, 'GET', '/health', { auth: false })
    assert.equal(health.status, 200)
    assert.deepEqual(await health.json(), { status: 'ok', peerId: coord.peerId.toString(), role: 'coordinator' })
    const metrics = await call(api, 'GET', '/metrics', { auth: false })
    assert.equal(metrics.status, 200)
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/)
    assert.match(await metrics.text(), /^edgecoder_paused 0$/m)
    // a node that knows no admin key is not ready, and says why
    const ready = await call(clientApi, 'GET', '/ready', { auth: false })
    assert.equal(ready.status, 503)
    const r = await ready.json() as { ready: boolean, reasons: string[] }
    assert.equal(r.ready, false)
    assert.ok(r.reasons.some(x => /no admin key/.test(x)), r.reasons.join('; '))
  })

  it('answers an unknown route 404 and bad input 400, with the same body', async () => {
    await failsWith(await call(api, 'GET', '/v1/no-such-route'), 404, 'NotFoundError', /^no route GET \/v1\/no-such-route$/)
    await failsWith(await call(api, 'GET', '/v1/ops/no-such-op'), 404, 'NotFoundError', /^no route GET \/v1\/ops\/no-such-op$/)
    await failsWith(await call(api, 'POST', '/v1/jobs', { body: '{not json' }), 400, 'InvalidArgumentError', /not valid JSON/)
    await failsWith(await call(api, 'GET', '/v1/jobs/not-an-id'), 400, 'InvalidArgumentError', /64 lowercase hex/)
    await failsWith(await call(api, 'GET', '/v1/jobs/not-an-id/anything'), 400, 'InvalidArgumentError', /64 lowercase hex/)
    await failsWith(await call(api, 'GET', `/v1/jobs/${'0'.repeat(64)}`), 404, 'JobNotFoundError')
    await failsWith(await call(api, 'GET', `/v1/ops/explain/${'0'.repeat(64)}`), 404, 'JobNotFoundError')
    await failsWith(await call(api, 'GET', '/v1/jobs?state=nope'), 400, 'InvalidArgumentError', /--state must be one of/)
    await failsWith(await call(api, 'GET', '/v1/ops/history?limit=x'), 400, 'InvalidArgumentError', /--limit/)
    await failsWith(await call(api, 'GET', '/v1/ledger/proof'), 400, 'InvalidArgumentError', /--index is required/)
    await failsWith(await call(api, 'GET', '/v1/ledger/no-such-op'), 400, 'InvalidArgumentError', /^no route GET \/v1\/ledger\/no-such-op$/)
    await failsWith(await call(clientApi, 'GET', '/v1/tokens'), 400, 'InvalidArgumentError', /tokens and enrollments live on coordinators/)
  })

  it('answers UnauthorizedAdminError 403, and an operator error recorded by admission as its own status', async () => {
    const outsider = await generateKeyPair('Ed25519')
    const target = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const env = await signAdminAction(outsider, MESH, { kind: 'BLACKLIST_ADD', target, reason: 'x' })
    await failsWith(await call(api, 'POST', '/v1/admin/actions', { body: JSON.stringify({ envelope: envelopeToBase64(env) }) }), 403, 'UnauthorizedAdminError')
    // the coordinator signs the action with its admin key; applying it throws, and that is the answer
    await failsWith(await call(api, 'POST', '/v1/ops/actions', { body: JSON.stringify({ kind: 'return', peer: target }) }), 404, 'UnknownNodeError')
    await failsWith(await call(clientApi, 'POST', '/v1/ops/actions', { body: JSON.stringify({ kind: 'pause' }) }), 400, 'NotCoordinatorError')
    await failsWith(await call(api, 'POST', '/v1/ops/actions', { body: JSON.stringify({ kind: 'sleep' }) }), 400, 'InvalidArgumentError', /"kind" must be/)
  })

  it('serves JSON with bigints as strings, a signed note as text, and a backup as a stream', async () => {
    const submitted = await call(api, 'POST', '/v1/jobs', { body: JSON.stringify({ executor: 'noop', input: 'x', offeredPrice: '50' }) })
    assert.equal(submitted.status, 201, await submitted.clone().text())
    const { id } = await submitted.json() as { id: string }
    assert.match(id, /^[0-9a-f]{64}$/)
    const balance = await call(api, 'GET', '/v1/ledger/balance')
    assert.equal(balance.status, 200)
    const b = await balance.json() as { log: string, balances: Record<string, unknown> }
    assert.equal(b.log, coord.peerId.toString())
    assert.ok(Object.values(b.balances).every(v => typeof v === 'string' && /^-?\d+$/.test(v)), JSON.stringify(b.balances))
    const note = await call(api, 'GET', '/v1/ledger/checkpoint')
    assert.equal(note.status, 200)
    assert.equal(note.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.ok((await note.text()).startsWith(`edgecoder/${MESH}/${coord.peerId.toString()}\n`), 'the note of this coordinator\'s log')
    const backup = await call(api, 'POST', '/v1/backup')
    assert.equal(backup.status, 200)
    assert.equal(backup.headers.get('content-type'), 'application/x-ndjson')
    const lines = (await backup.text()).trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
    assert.equal(lines[0].format, 'edgecoder-backup')
    assert.equal(lines[lines.length - 1].end, true)
    assert.equal(lines[lines.length - 1].lines, lines.length - 1)
  })
})
