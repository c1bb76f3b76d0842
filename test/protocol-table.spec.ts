// The protocol table (src/rpc/protocol-table.ts) against the wire, the docs and real nodes: every
// id and domain stays byte for byte what it was, docs/protocols.md lists every row with the
// table's limits and timeouts, every protocol a coordinator, worker or client serves is in the
// table (and served by the roles it names), registrations take the table's limits, and a caller
// leaves no stream open however its call ends.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p, PeerId, Startable } from '@libp2p/interface'
import { Fixture, waitFor, MESH } from './helpers.js'
import { createMeshLibp2p, type MeshServices } from '../src/mesh/create-libp2p.js'
import { RpcServer, rpcCall, rpcStream, type RpcDialer, type RpcServerComponents } from '../src/rpc/reqresp.js'
import { RpcClient } from '../src/rpc/client.js'
import { GossipTopics, ProtocolTable, protocolEntries, protocolEntry, type ProtocolEntry, type ServingRole } from '../src/rpc/protocol-table.js'
import { DEFAULT_RPC_LIMITS } from '../src/rpc/limits.js'
import { Domains, Protocols, authorityTopic, checkpointsTopic, dhtProtocol, jobsTopic, policyTopic } from '../src/wire/domains.js'
import { createSigner, verifyEnvelope, type Signer } from '../src/wire/signed.js'
import { AdminSyncRequest } from '../src/wire/pb/admission.js'
import { CancelNotice } from '../src/wire/pb/jobs.js'
import { JobNotFoundError } from '../src/errors/index.js'
import type { EdgecoderNode } from '../src/node/create-node.js'

const DOCS = new URL('../../docs/protocols.md', import.meta.url)

/** the wire strings as released: a change here is a new protocol version, never an edit */
const WIRE_IDS: Record<string, string> = {
  session: '/edgecoder/session/1.0.0',
  claim: '/edgecoder/claim/1.0.0',
  lease: '/edgecoder/lease/1.0.0',
  result: '/edgecoder/result/1.0.0',
  submit: '/edgecoder/submit/1.0.0',
  job: '/edgecoder/job/1.0.0',
  cancel: '/edgecoder/cancel/1.0.0',
  ledger: '/edgecoder/ledger/1.0.0',
  ledgerSync: '/edgecoder/ledger-sync/1.0.0',
  enroll: '/edgecoder/enroll/1.0.0',
  adminSync: '/edgecoder/admin-sync/1.0.0',
  ops: '/edgecoder/ops/1.0.0'
}
const WIRE_DOMAINS: Record<string, string> = {
  jobSpec: '/edgecoder/job-spec/1.0.0',
  announce: '/edgecoder/announce/1.0.0',
  claim: '/edgecoder/claim/1.0.0',
  assignment: '/edgecoder/assignment/1.0.0',
  lease: '/edgecoder/lease/1.0.0',
  result: '/edgecoder/result/1.0.0',
  jobQuery: '/edgecoder/job-query/1.0.0',
  cancelNotice: '/edgecoder/cancel-notice/1.0.0',
  ledgerRequest: '/edgecoder/ledger-request/1.0.0',
  ledgerSync: '/edgecoder/ledger-sync/1.0.0',
  enroll: '/edgecoder/enroll/1.0.0',
  adminAction: '/edgecoder/admin-action/1.0.0',
  adminSync: '/edgecoder/admin-sync/1.0.0',
  authority: '/edgecoder/mesh-authority/1.0.0',
  opsNotice: '/edgecoder/ops-notice/1.0.0'
}

function bytes (n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`
  if (n % 1024 === 0) return `${n / 1024} KiB`
  return `${n} B`
}

function seconds (ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

/** The cells of a protocol's docs row that the table decides, by column. */
function expectedCells (e: ProtocolEntry): Map<number, string> {
  const limits = { ...DEFAULT_RPC_LIMITS, ...e.limits }
  const cells = new Map<number, string>([[0, `\`${e.id}\``], [1, e.servedBy.join(', ')], [6, String(limits.maxInboundStreams)]])
  if (e.kind === 'session') {
    cells.set(8, `each method's; idle ${seconds(e.idleMs)}`)
    return cells
  }
  cells.set(4, bytes(limits.maxRequestBytes))
  cells.set(5, `${limits.ratePoints} / ${limits.rateWindowSec} s`)
  cells.set(7, seconds(limits.timeoutMs))
  cells.set(8, seconds(e.timeoutMs))
  cells.set(9, e.kind === 'request' ? (e.session ? 'yes' : 'no') : '—')
  return cells
}

/** the docs rows of the protocol table, by protocol id */
function docsRows (markdown: string): Map<string, string[]> {
  const start = markdown.indexOf('## Protocol table')
  assert.ok(start >= 0, 'docs/protocols.md has a "Protocol table" section')
  const lines = markdown.slice(start).split('\n')
  const first = lines.findIndex(l => l.startsWith('|'))
  const end = lines.findIndex((l, i) => i > first && !l.startsWith('|'))
  const rows = new Map<string, string[]>()
  // the section's first table: the stream protocols (the topics' table follows it)
  for (const line of lines.slice(first, end)) {
    const m = /^\| `([^`]+)` \|/.exec(line)
    if (m == null) continue
    rows.set(m[1], line.slice(1, -1).split(' | ').map(c => c.trim()))
  }
  return rows
}

/** protocols a node serves that are its own, not libp2p's (identify, ping, gossipsub, the DHT) */
function ownProtocols (n: EdgecoderNode): string[] {
  return n.libp2p.getProtocols().filter(p => !p.startsWith('/ipfs/') && !p.startsWith('/libp2p/') && !p.startsWith('/meshsub/') && !p.startsWith('/floodsub/') && p !== dhtProtocol(MESH))
}

/** a raw node as a caller (the connection manager is what services use) */
function dialer (node: Libp2p): RpcDialer {
  return { openStream: async (peer, protocol, options) => await node.dialProtocol(peer, protocol, options) }
}

/** streams of `protocol` open on `node`'s connections to `peer` right now */
function openStreams (node: Libp2p, peer: PeerId, protocol: string): number {
  return node.getConnections(peer).flatMap(c => c.streams).filter(s => s.protocol === protocol).length
}

describe('protocol table', function () {
  this.timeout(60_000)

  it('keeps every protocol id and signature domain byte for byte', () => {
    assert.deepEqual({ ...Protocols }, WIRE_IDS)
    assert.deepEqual({ ...Domains }, WIRE_DOMAINS)
    for (const [name, id] of Object.entries(WIRE_IDS)) assert.equal(protocolEntry(id)?.id, id, `the table has ${name}`)
    assert.equal(protocolEntries().length, Object.keys(WIRE_IDS).length)
    assert.equal(jobsTopic('m'), '/edgecoder/m/jobs/1.0.0')
    assert.equal(checkpointsTopic('m'), '/edgecoder/m/checkpoints/1.0.0')
    assert.equal(policyTopic('m'), '/edgecoder/m/policy/1.0.0')
    assert.equal(authorityTopic('m'), '/edgecoder/m/authority/1.0.0')
    assert.equal(dhtProtocol('m'), '/edgecoder/m/kad/1.0.0')
  })

  it('docs/protocols.md lists every protocol with the table\'s domain, limits and timeouts, and every topic', async () => {
    const markdown = await readFile(DOCS, 'utf8')
    const rows = docsRows(markdown)
    for (const e of protocolEntries()) {
      const row = rows.get(e.id)
      assert.ok(row != null, `docs/protocols.md has no protocol table row for ${e.id}`)
      assert.equal(row.length, 10, `the row of ${e.id} has 10 cells`)
      for (const [col, want] of expectedCells(e)) assert.equal(row[col], want, `${e.id}, column ${col + 1} of the docs row`)
      if (e.kind !== 'session') assert.ok(row[2].includes(`(\`${e.domain}\`)`), `${e.id}: the docs name its domain ${e.domain}`)
    }
    assert.deepEqual([...rows.keys()].filter(id => protocolEntry(id) == null), [], 'docs rows for protocols the table does not have')
    for (const [name, t] of Object.entries(GossipTopics)) {
      const line = markdown.split('\n').find(l => l.startsWith(`| \`${t.topic('<mesh>')}\` |`))
      assert.ok(line != null, `docs/protocols.md lists the ${name} topic`)
      if (t.signed != null) assert.ok(line.includes(`(\`${t.signed.domain}\`)`), `the ${name} topic's row names ${t.signed.domain}`)
    }
  })

  describe('on real nodes', () => {
    const fx = new Fixture()
    after(async () => { await fx.cleanup() })
    let coord: EdgecoderNode
    let nodes: Record<ServingRole, EdgecoderNode>

    before(async () => {
      coord = await fx.coordinator()
      const [worker] = await fx.workers(1, coord)
      const client = await fx.client(coord)
      nodes = { coordinator: coord, worker, client }
    })

    it('serves only protocols in the table, each on the roles the table names', () => {
      for (const [role, n] of Object.entries(nodes)) {
        const served = ownProtocols(n)
        assert.deepEqual(served.filter(p => protocolEntry(p) == null), [], `${role} serves protocols the table does not have`)
        const expected = protocolEntries().filter(e => e.servedBy.includes(role as ServingRole)).map(e => e.id).sort()
        assert.deepEqual([...served].sort(), expected, `${role} serves what the table says`)
      }
    })

    it('joins only the table\'s gossip topics', () => {
      const known = new Set(Object.values(GossipTopics).map(t => t.topic(MESH)))
      for (const [role, n] of Object.entries(nodes)) {
        const topics = n.libp2p.services.pubsub.getTopics()
        assert.ok(topics.length > 0, `${role} joined topics`)
        assert.deepEqual(topics.filter(t => !known.has(t)), [], `${role} joined topics the table does not have`)
      }
    })

    it('a registration without inline limits runs with the table\'s (enroll: its rate per peer; admin-sync: its request size)', async () => {
      const key = await generateKeyPair('Ed25519')
      const raw = await createMeshLibp2p({ privateKey: key, meshId: MESH, listen: ['/ip4/127.0.0.1/tcp/0'], userAgent: 'protocol-table test', services: {} })
      try {
        await raw.dial(coord.multiaddrs()[0])
        const calls = new RpcClient(dialer(raw), { signer: createSigner(key, MESH) })
        const request = { token: '', label: 'rate', executors: [], role: 'worker' }
        // all at once, so that a loaded machine cannot spread them over more than two rate windows:
        // at most twice the table's rate get through, where the node default would pass every one
        const enroll = { ...DEFAULT_RPC_LIMITS, ...ProtocolTable.enroll.limits }
        const names = await Promise.all(Array.from({ length: 2 * enroll.ratePoints + 1 }, async () =>
          await calls.call(ProtocolTable.enroll, coord.peerId, request).then(() => 'ok', (err: Error) => err.name)))
        assert.ok(enroll.ratePoints < DEFAULT_RPC_LIMITS.ratePoints)
        assert.ok(names.includes('RateLimitedError'), names.join(' '))
        assert.ok(names.filter(n => n !== 'RateLimitedError').length <= 2 * enroll.ratePoints, names.join(' '))
        // a request just over admin-sync's frame limit is refused unread (the stream is cut as it
        // overruns its buffer); the node default would take it
        const tooLarge = (): number => coord.libp2p.services.rpcGuard.stats().rejected[`${Protocols.adminSync} MessageTooLargeError`] ?? 0
        const before = tooLarge()
        const big = await createSigner(key, MESH).sign(Domains.adminSync, new Uint8Array({ ...DEFAULT_RPC_LIMITS, ...ProtocolTable.adminSync.limits }.maxRequestBytes), 30_000)
        assert.ok(big.payload.byteLength < DEFAULT_RPC_LIMITS.maxRequestBytes)
        await assert.rejects(rpcCall(dialer(raw), coord.peerId, Protocols.adminSync, big))
        await waitFor(() => tooLarge() === before + 1, 2_000, 'the coordinator to refuse the request as too large')
        const small = await createSigner(key, MESH).sign(Domains.adminSync, AdminSyncRequest.encode({ from: 0n }), 30_000)
        assert.ok((await rpcCall(dialer(raw), coord.peerId, Protocols.adminSync, small)).byteLength >= 0)
      } finally {
        await raw.stop()
      }
    })
  })
})

/** a test protocol that streams one small frame every 20 ms until the caller goes away */
const TICKS = '/edgecoder-test/ticks/1.0.0'

class TicksService implements Startable {
  private readonly rpc: RpcServer
  constructor (components: RpcServerComponents) { this.rpc = new RpcServer(components, 'ticks') }

  async start (): Promise<void> {
    // far longer than the test: only the caller can end the stream
    await this.rpc.register({
      protocol: TICKS,
      limits: { timeoutMs: 120_000 },
      stream: async function * (_req, ctx) {
        for (let i = 0; !ctx.signal.aborted; i++) {
          yield new Uint8Array([i & 0xff])
          await new Promise(resolve => setTimeout(resolve, 20))
        }
      }
    })
  }

  async stop (): Promise<void> { await this.rpc.unregisterAll() }
}

/** Answers the cancel protocol as its notice's job id says: ok, fail (a typed error) or hang. */
class CancelAnswerer implements Startable {
  private readonly rpc: RpcServer
  constructor (components: RpcServerComponents) { this.rpc = new RpcServer(components, 'answerer') }

  async start (): Promise<void> {
    await this.rpc.register({
      protocol: Protocols.cancel,
      handle: async (req, ctx) => {
        const { payload } = await verifyEnvelope(req, { domain: Domains.cancelNotice, meshId: MESH })
        const notice = CancelNotice.decode(payload.body)
        if (notice.jobId === 'fail') throw new JobNotFoundError('no such job')
        if (notice.jobId === 'hang') await new Promise(resolve => { ctx.signal.addEventListener('abort', resolve, { once: true }) })
        return new Uint8Array(0)
      }
    })
  }

  async stop (): Promise<void> { await this.rpc.unregisterAll() }
}

describe('rpc callers close their streams', function () {
  this.timeout(60_000)
  let server: Libp2p<MeshServices & { ticks: TicksService, answerer: CancelAnswerer }>
  let client: Libp2p<MeshServices>
  let signer: Signer

  before(async () => {
    server = await createMeshLibp2p({
      privateKey: await generateKeyPair('Ed25519'),
      meshId: MESH,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      userAgent: 'protocol-table test',
      services: { ticks: (c: RpcServerComponents) => new TicksService(c), answerer: (c: RpcServerComponents) => new CancelAnswerer(c) }
    })
    const key = await generateKeyPair('Ed25519')
    client = await createMeshLibp2p({ privateKey: key, meshId: MESH, listen: ['/ip4/127.0.0.1/tcp/0'], userAgent: 'protocol-table test', services: {} })
    signer = createSigner(key, MESH)
    await client.dial(server.getMultiaddrs()[0])
  })
  after(async () => { await Promise.allSettled([client.stop(), server.stop()]) })

  afterEach(async () => {
    // nothing of the test before may still hold a stream, at either end
    await waitFor(() => openStreams(client, server.peerId, TICKS) + openStreams(client, server.peerId, Protocols.cancel) === 0, 2_000, 'the caller\'s streams to close')
    await waitFor(() => openStreams(server, client.peerId, TICKS) + openStreams(server, client.peerId, Protocols.cancel) === 0, 2_000, 'the server\'s streams to close')
  })

  it('a consumer that stops reading a streamed answer early (break) leaves no stream open', async () => {
    const request = await signer.sign(Domains.ledgerSync, new Uint8Array(0), 60_000)
    let frames = 0
    for await (const frame of rpcStream(dialer(client), server.peerId, TICKS, request)) {
      assert.equal(frame.byteLength, 1)
      if (++frames === 3) break
    }
    assert.equal(frames, 3)
    // the server would stream for two minutes: only the caller's abort ends it this soon
    await waitFor(() => openStreams(client, server.peerId, TICKS) === 0, 1_500, 'the caller\'s stream to end after the break')
    await waitFor(() => openStreams(server, client.peerId, TICKS) === 0, 1_500, 'the server\'s stream to end after the break')
  })

  it('a consumer that throws while reading leaves no stream open either', async () => {
    const request = await signer.sign(Domains.ledgerSync, new Uint8Array(0), 60_000)
    await assert.rejects((async () => {
      for await (const _ of rpcStream(dialer(client), server.peerId, TICKS, request)) throw new TypeError('the consumer failed')
    })(), { name: 'TypeError' })
  })

  it('call(): a decoded answer, and the stream closed', async () => {
    const calls = new RpcClient(dialer(client), { signer })
    assert.equal(await calls.call(ProtocolTable.cancel, server.peerId, { jobId: 'ok', attempt: 1 }), undefined)
  })

  it('call(): the remote\'s typed error, and the stream closed', async () => {
    const calls = new RpcClient(dialer(client), { signer })
    await assert.rejects(calls.call(ProtocolTable.cancel, server.peerId, { jobId: 'fail', attempt: 1 }), { name: 'JobNotFoundError' })
  })

  it('call(): gives up after the table\'s timeout for the protocol, and aborts the stream', async () => {
    const calls = new RpcClient(dialer(client), { signer })
    const t0 = Date.now()
    await assert.rejects(calls.call(ProtocolTable.cancel, server.peerId, { jobId: 'hang', attempt: 1 }), { name: 'RpcTimeoutError' })
    const waited = Date.now() - t0
    // the cancel protocol's own timeout, not the node default a server uses for the exchange
    assert.ok(waited >= ProtocolTable.cancel.timeoutMs - 100 && waited < DEFAULT_RPC_LIMITS.timeoutMs, `waited ${waited} ms`)
  })

  it('call(): a caller\'s abort ends the call at once with its reason, and aborts the stream', async () => {
    const calls = new RpcClient(dialer(client), { signer })
    const abort = new AbortController()
    setTimeout(() => { abort.abort(new RangeError('the caller gave up')) }, 200)
    const t0 = Date.now()
    await assert.rejects(calls.call(ProtocolTable.cancel, server.peerId, { jobId: 'hang', attempt: 1 }, { signal: abort.signal }), { name: 'RangeError' })
    assert.ok(Date.now() - t0 < 2_000)
  })

  it('rpcCall without a timeout waits the table\'s time for a protocol in it', async () => {
    const request = await signer.sign(Domains.cancelNotice, CancelNotice.encode({ jobId: 'hang', attempt: 1 }), 30_000)
    const t0 = Date.now()
    await assert.rejects(rpcCall(dialer(client), server.peerId, Protocols.cancel, request), { name: 'RpcTimeoutError' })
    const waited = Date.now() - t0
    assert.ok(waited >= ProtocolTable.cancel.timeoutMs - 100 && waited < DEFAULT_RPC_LIMITS.timeoutMs, `waited ${waited} ms`)
  })
})
