// Hostile input: every decoder meets random and mutated bytes, and live nodes (a coordinator and
// workers on loopback, real libp2p) keep completing jobs while an attacker node sends garbage,
// truncated, oversized, half-closed, never-finished and validly-signed-but-wrong frames on every
// protocol, and publishes garbage on the gossip topics.
//
// Bounded by default (thousands of frames, well under a minute). For a long run:
//   FUZZ_RUNS=100000 npx mocha --no-config --timeout 0 --exit dist/test/hostile-input.spec.js
// FUZZ_RUNS is the number of frames sent to the live nodes (decoder properties scale with it);
// FUZZ_SEED replays a failing run (fast-check prints the seed and path).
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { pbStream } from '@libp2p/utils'
import { TopicValidatorResult, type Message as GossipMessage } from '@libp2p/gossipsub'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { CounterGroup, Libp2p, Metrics, PeerId, PrivateKey, Stream } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { Fixture, waitFor, MESH, trustedAdmin } from './helpers.js'
import { createMeshLibp2p, type MeshServices } from '../src/mesh/create-libp2p.js'
import { createSigner, verifyEnvelope, type Signer } from '../src/wire/signed.js'
import { Domains, Protocols, checkpointsTopic, dhtProtocol, jobsTopic } from '../src/wire/domains.js'
import { SignedEnvelope, SignedPayload } from '../src/wire/pb/envelope.js'
import { RpcResponse, SessionFrame } from '../src/wire/pb/rpc.js'
import { ClaimRequest, CancelNotice, JobAnnouncement, JobQuery, JobResult, JobSpec, LeaseRenewal } from '../src/wire/pb/jobs.js'
import { CheckpointAnnouncement, LedgerRequest, SyncRequest } from '../src/wire/pb/ledger.js'
import { AdminSyncRequest, AdminSyncResponse, EnrollRequest } from '../src/wire/pb/admission.js'
import { OpsNotice } from '../src/wire/pb/ops.js'
import { OPS_NOTICE_DOMAIN, OPS_PROTOCOL } from '../src/ops/ops-service.js'
import { rpcCall } from '../src/rpc/reqresp.js'
import { errorClasses } from '../src/errors/index.js'
import { verifyJobSpec } from '../src/jobs/job-spec.js'
import { announcementValidator } from '../src/jobs/announcement-validator.js'
import { checkpointValidator } from '../src/ledger/ledger-service.js'
import { formatCheckpoint, openNote, parseCheckpoint, parseVerifierKey, signNote, noteVerifierKey } from '../src/ledger/merkle/checkpoint.js'
import { logOrigin } from '../src/ledger/coordinator-ledger.js'
import { resolveLimits, DEFAULT_LIMITS, type LimitsInput } from '../src/rpc/limits.js'
import { PeerGuard } from '../src/rpc/peer-guard.js'
import type { EdgecoderNode } from '../src/node/create-node.js'

const FUZZ_RUNS = Math.max(100, Number(process.env.FUZZ_RUNS ?? 2000))
const SEED = process.env.FUZZ_SEED != null ? Number(process.env.FUZZ_SEED) : undefined
const fcOpts = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...(SEED != null ? { seed: SEED } : {}) })

/** An error our code may let out: one of the registered classes, never a bare TypeError/RangeError. */
function assertTyped (err: unknown, where: string): void {
  assert.ok(err instanceof Error, `${where}: threw a non-Error ${String(err)}`)
  assert.ok(errorClasses[err.name] != null && err.name !== 'RemoteError', `${where}: untyped ${err.name}: ${err.message}`)
}

// ---- frame generators ----

/** Mutations of a valid encoding: flips, truncation, extension, splices, bogus varints. */
function mutated (valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = valid.byteLength
  return fc.oneof(
    fc.array(fc.tuple(fc.nat(Math.max(0, n - 1)), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }).map(flips => {
      const b = new Uint8Array(valid)
      for (const [i, x] of flips) if (n > 0) b[i] ^= x
      return b
    }),
    fc.nat(Math.max(0, n - 1)).map(k => valid.slice(0, k)),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map(extra => concat(valid, extra)),
    fc.tuple(fc.nat(n), fc.uint8Array({ maxLength: 32 })).map(([i, junk]) => concat(concat(valid.slice(0, i), junk), valid.slice(i))),
    // a length-delimited field whose length is a huge (or overlong) varint
    fc.tuple(fc.integer({ min: 1, max: 15 }), fc.constantFrom(
      [0xff, 0xff, 0xff, 0xff, 0x0f], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]
    )).map(([field, varint]) => concat(Uint8Array.of((field << 3) | 2, ...varint), valid)),
    // the same field number with every wire type (wrong-typed values)
    fc.tuple(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 12 })).map(([field, wt, rest]) => concat(Uint8Array.of((field << 3) | wt), rest)),
    // deeply nested groups (recursion in skipType)
    fc.integer({ min: 100, max: 20_000 }).map(depth => new Uint8Array(depth).fill(0x0b))
  )
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a, 0)
  out.set(b, a.byteLength)
  return out
}

function varint (n: number): Uint8Array {
  const out: number[] = []
  let x = n
  while (x >= 0x80) { out.push((x % 0x80) | 0x80); x = Math.floor(x / 0x80) }
  out.push(x)
  return Uint8Array.from(out)
}

const lp = (b: Uint8Array): Uint8Array => concat(varint(b.byteLength), b)

const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 })
const smallStr = fc.string({ maxLength: 80 })

/** A valid encoding of the body each protocol expects, with random field values. */
const bodies: Record<string, { domain: string, body: fc.Arbitrary<Uint8Array> }> = {
  [Protocols.claim]: {
    domain: Domains.claim,
    // claims for an executor nobody runs: a live attacker could also take real jobs (covered by leases)
    body: fc.record({ jobId: smallStr, executors: fc.array(fc.constantFrom('fuzz', 'nope'), { maxLength: 3 }), freeSlots: fc.nat(16), claimNonce: bytes16 })
      .map(c => ClaimRequest.encode({ ...c, capacity: { cpuMillis: 0, memoryMb: 64 } }))
  },
  [Protocols.lease]: {
    domain: Domains.lease,
    body: fc.record({ jobId: smallStr, attempt: fc.nat(5), assignmentDigest: fc.uint8Array({ maxLength: 40 }), running: fc.boolean() }).map(r => LeaseRenewal.encode(r))
  },
  [Protocols.result]: {
    domain: Domains.result,
    body: fc.record({ jobId: smallStr, attempt: fc.nat(5), assignmentDigest: fc.uint8Array({ maxLength: 40 }), output: fc.uint8Array({ maxLength: 256 }), exitCode: fc.integer(), outputDigest: fc.uint8Array({ maxLength: 32 }), error: smallStr, errorMessage: smallStr, stderr: fc.uint8Array({ maxLength: 64 }) })
      .map(r => JobResult.encode(r))
  },
  [Protocols.submit]: {
    domain: Domains.jobSpec,
    // executors nobody offers, or out-of-range fields: queued-but-never-run or refused
    body: fc.record({ executor: fc.constantFrom('fuzz', 'NOOP', '', 'wasm'), input: fc.uint8Array({ maxLength: 128 }), args: fc.array(smallStr, { maxLength: 70 }), timeoutMs: fc.integer({ min: -5, max: 5_000_000 }), maxAttempts: fc.integer({ min: 0, max: 30 }), offeredPrice: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), delayMs: fc.nat(10), label: smallStr })
      .map(s => JobSpec.encode({ ...s, module: new Uint8Array(0), coordinator: '' }))
  },
  [Protocols.job]: {
    domain: Domains.jobQuery,
    body: fc.record({ op: fc.constantFrom(JobQuery.Op.STATUS, JobQuery.Op.RESULT, JobQuery.Op.CANCEL), jobId: smallStr }).map(q => JobQuery.encode(q))
  },
  [Protocols.cancel]: {
    domain: Domains.cancelNotice,
    body: fc.record({ jobId: smallStr, attempt: fc.nat(5) }).map(n => CancelNotice.encode(n))
  },
  [Protocols.ledger]: {
    domain: Domains.ledgerRequest,
    body: fc.record({ op: fc.constantFrom(LedgerRequest.Op.CHECKPOINT, LedgerRequest.Op.INCLUSION, LedgerRequest.Op.CONSISTENCY, LedgerRequest.Op.EVIDENCE), log: smallStr, index: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), treeSize: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fromSize: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), jobId: smallStr, wallet: fc.boolean() })
      .map(q => LedgerRequest.encode(q))
  },
  [Protocols.ledgerSync]: {
    domain: Domains.ledgerSync,
    body: fc.record({ log: smallStr, from: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), to: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }).map(q => SyncRequest.encode(q))
  },
  [Protocols.enroll]: {
    domain: Domains.enroll,
    // tokens of the right shape or not, for roles that exist or not: refused, pending or (open mode) the attacker's own record
    body: fc.record({ token: fc.oneof(smallStr, fc.string({ unit: fc.constantFrom('a', 'f', '0', '_', '-'), minLength: 50, maxLength: 70 }).map(t => `ect_${t}`)), label: smallStr, executors: fc.array(smallStr, { maxLength: 80 }), role: fc.constantFrom('worker', 'client', 'coordinator', '', 'admin') })
      .map(r => EnrollRequest.encode(r))
  },
  [Protocols.adminSync]: {
    domain: Domains.adminSync,
    body: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(from => AdminSyncRequest.encode({ from }))
  },
  [OPS_PROTOCOL]: {
    domain: OPS_NOTICE_DOMAIN,
    // drain notices from a peer that is no coordinator of the victim: answered, and ignored
    body: fc.record({ kind: fc.constantFrom(OpsNotice.Kind.DRAIN, OpsNotice.Kind.UNDRAIN, OpsNotice.Kind.DRAINED), reason: smallStr }).map(n => OpsNotice.encode(n))
  }
}

/** protocols of the libraries every node runs (identify, ping, gossipsub, the DHT): they get raw garbage */
const isLibraryProtocol = (p: string): boolean => p.startsWith('/ipfs/') || p.startsWith('/meshsub/') || p.startsWith('/floodsub/') || p === dhtProtocol(MESH)

/** how a served protocol is attacked; a protocol none of these covers fails the test */
function protocolClass (p: string): 'rpc' | 'session' | 'library' | undefined {
  if (bodies[p] != null) return 'rpc'
  if (p === Protocols.session) return 'session'
  return isLibraryProtocol(p) ? 'library' : undefined
}

type EnvKind = 'valid' | 'wrong-domain' | 'wrong-mesh' | 'expired' | 'bad-signature' | 'other-signer' | 'garbage-body' | 'mutated-body'

interface Signers { self: Signer, otherMesh: Signer, other: Signer }

/** A signed envelope for `protocol`, valid or wrong in one way. */
async function envelope (s: Signers, protocol: string, kind: EnvKind, body: Uint8Array): Promise<Uint8Array> {
  const { domain } = bodies[protocol]
  let env: SignedEnvelope
  switch (kind) {
    case 'wrong-domain': env = await s.self.sign(domain === Domains.claim ? Domains.lease : Domains.claim, body, 30_000); break
    case 'wrong-mesh': env = await s.otherMesh.sign(domain, body, 30_000); break
    case 'expired': env = await s.self.sign(domain, body, -1_000); break
    case 'other-signer': env = await s.other.sign(domain, body, 30_000); break
    case 'bad-signature': {
      env = await s.self.sign(domain, body, 30_000)
      env = { payload: env.payload, signature: new Uint8Array(env.signature) }
      env.signature[body.byteLength % 64] ^= 0x40
      break
    }
    default: env = await s.self.sign(domain, body, 30_000)
  }
  return SignedEnvelope.encode(env)
}

interface FrameCase {
  protocol: string
  /** bytes written on the stream, as is */
  wire: Uint8Array
  what: string
}

/** what any stream may get: garbage, lengths that do not parse, a frame over the limit */
function badFraming (protocol: string, maxRequestBytes: number): Array<fc.Arbitrary<Promise<FrameCase>>> {
  return [
    fc.uint8Array({ maxLength: 2048 }).map(async b => ({ protocol, wire: b, what: 'raw' })),
    fc.uint8Array({ maxLength: 2048 }).map(async b => ({ protocol, wire: lp(b), what: 'lp-random' })),
    // an oversized frame: the prefix says so, and a little of it follows
    fc.tuple(fc.integer({ min: maxRequestBytes + 1, max: 2 ** 31 }), fc.uint8Array({ maxLength: 4096 })).map(async ([len, b]) => ({ protocol, wire: concat(varint(len), b), what: 'oversized' })),
    // a varint length with too many bytes
    fc.uint8Array({ minLength: 11, maxLength: 40 }).map(async b => ({ protocol, wire: concat(new Uint8Array(b.byteLength).fill(0xff), b), what: 'huge-varint' }))
  ]
}

/** Hostile frames for one served protocol, in the way it is spoken. */
function frameCase (s: Signers, protocol: string, maxRequestBytes: number): fc.Arbitrary<Promise<FrameCase>> {
  switch (protocolClass(protocol)) {
    case 'rpc': return rpcFrames(s, protocol, maxRequestBytes)
    case 'session': return sessionFrames(s, maxRequestBytes)
    case 'library': return fc.oneof(...badFraming(protocol, maxRequestBytes))
    default: throw new Error(`no hostile frames for ${protocol}`)
  }
}

/** A request/response protocol: one signed request, valid or wrong in every way we know. */
function rpcFrames (s: Signers, protocol: string, maxRequestBytes: number): fc.Arbitrary<Promise<FrameCase>> {
  const valid = bodies[protocol].body
  const signed = (kind: EnvKind, body: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Promise<FrameCase>> =>
    body.map(async b => ({ protocol, wire: lp(await envelope(s, protocol, kind, b)), what: `signed:${kind}` }))
  return fc.oneof(
    ...badFraming(protocol, maxRequestBytes),
    // a valid frame, truncated or bit-flipped at the envelope level
    fc.tuple(valid, fc.boolean()).chain(([b, trunc]) => fc.constant(null).map(async () => {
      const env = await envelope(s, protocol, 'valid', b)
      return trunc
        ? { protocol, wire: lp(env).slice(0, 1 + (b.byteLength % Math.max(1, env.byteLength))), what: 'truncated' }
        : { protocol, wire: lp(env), what: 'envelope-ok' }
    })),
    valid.chain(b => mutated(b)).chain(m => signed('mutated-body', fc.constant(m))),
    fc.uint8Array({ maxLength: 512 }).chain(m => signed('garbage-body', fc.constant(m))),
    fc.constantFrom<EnvKind>('valid', 'wrong-domain', 'wrong-mesh', 'expired', 'bad-signature', 'other-signer').chain(kind => signed(kind, valid)),
    // a well-formed envelope with an all-zero signature
    valid.map(async b => {
      const now = BigInt(Date.now())
      const payload = SignedPayload.encode({ domain: bodies[protocol].domain, meshId: MESH, signer: s.self.peerId.toMultihash().bytes, issuedAtMs: now, expiresAtMs: now + 10_000n, nonce: new Uint8Array(16), body: new Uint8Array(b) })
      return { protocol, wire: lp(SignedEnvelope.encode({ payload, signature: new Uint8Array(64) })), what: 'unsigned' }
    })
  )
}

/**
 * The session protocol: several SessionFrames on one stream, each carrying a request of any method
 * (served on sessions or not) signed well or badly, or a cancel, no request, an unknown protocol;
 * the same id twice; frames followed by junk or cut short.
 */
function sessionFrames (s: Signers, maxRequestBytes: number): fc.Arbitrary<Promise<FrameCase>> {
  const protocol = Protocols.session
  const request: fc.Arbitrary<Promise<SessionFrame>> = fc.tuple(fc.nat(), fc.constantFrom(...Object.keys(bodies)), fc.constantFrom<EnvKind>('valid', 'wrong-domain', 'wrong-mesh', 'expired', 'bad-signature', 'other-signer', 'garbage-body'))
    .chain(([id, method, kind]) => (kind === 'garbage-body' ? fc.uint8Array({ maxLength: 256 }) : bodies[method].body)
      .map(async b => ({ id, protocol: method, request: SignedEnvelope.decode(await envelope(s, method, kind, b)), cancel: false })))
  const odd: fc.Arbitrary<Promise<SessionFrame>> = fc.oneof(
    fc.nat().map(async id => ({ id, protocol: '', cancel: true })),
    fc.tuple(fc.nat(), fc.constantFrom(Protocols.claim, Protocols.result, '')).map(async ([id, p]) => ({ id, protocol: p, cancel: false })),
    fc.tuple(fc.nat(), smallStr, bodies[Protocols.claim].body).map(async ([id, p, b]) => ({ id, protocol: p, request: SignedEnvelope.decode(await envelope(s, Protocols.claim, 'valid', b)), cancel: false }))
  )
  const frames = fc.array(fc.oneof(request, odd), { minLength: 1, maxLength: 6 })
  const wireOf = async (fs: Array<Promise<SessionFrame>>): Promise<Uint8Array> => (await Promise.all(fs.map(async f => lp(SessionFrame.encode(await f))))).reduce(concat, new Uint8Array(0))
  return fc.oneof(
    ...badFraming(protocol, maxRequestBytes),
    frames.map(async fs => ({ protocol, wire: await wireOf(fs), what: 'session-frames' })),
    request.map(async f => { const one = lp(SessionFrame.encode(await f)); return { protocol, wire: concat(one, one), what: 'session-same-id' } }),
    fc.tuple(frames, fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.boolean()).map(async ([fs, junk, cut]) => {
      const w = await wireOf(fs)
      return cut ? { protocol, wire: w.slice(0, Math.max(1, w.byteLength - 3)), what: 'session-cut' } : { protocol, wire: concat(w, junk), what: 'session-junk' }
    })
  )
}

/** answered (or, for a library protocol, negotiated and written to), refused with a typed error, or cut off */
type Outcome = 'answered' | 'typed-error' | 'aborted'

/** Opens a stream, writes `wire`, half-closes, and classifies what comes back. Fails on an untyped error. */
async function sendCase (attacker: Libp2p, target: PeerId, c: FrameCase, timeoutMs: number): Promise<{ outcome: Outcome, errorName?: string }> {
  const signal = AbortSignal.timeout(timeoutMs)
  let stream: Stream
  try {
    // straight on the open connection: a fresh dial per frame would measure the dialer, not the handlers
    const conn = attacker.getConnections(target)[0] ?? await attacker.dial(target, { signal })
    stream = await conn.newStream(c.protocol, { signal, maxOutboundStreams: 4096, negotiateFully: false })
  } catch {
    return { outcome: 'aborted' }
  }
  const pb = pbStream(stream, { maxDataLength: 1024 * 1024 })
  try {
    if (c.wire.byteLength > 0 && !stream.send(c.wire)) await stream.onDrain({ signal })
    await stream.close({ signal })
    const res = await pb.read(RpcResponse, { signal })
    if (res.errorName === '') return { outcome: 'answered' }
    assert.ok(errorClasses[res.errorName] != null && res.errorName !== 'RemoteError', `${c.protocol} ${c.what}: untyped error ${res.errorName}: ${res.errorMessage}`)
    return { outcome: 'typed-error', errorName: res.errorName }
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err
    if (signal.aborted) throw new Error(`${c.protocol} ${c.what}: no answer and no abort within ${timeoutMs} ms`)
    stream.abort(err as Error)
    return { outcome: 'aborted' }
  }
}

/** The answer to one session stream of hostile frames: every response frame carries success or a typed error. */
async function sendSessionCase (attacker: Libp2p, target: PeerId, c: FrameCase, timeoutMs: number): Promise<{ outcome: Outcome, errorName?: string }> {
  const signal = AbortSignal.timeout(timeoutMs)
  let stream: Stream
  try {
    const conn = attacker.getConnections(target)[0] ?? await attacker.dial(target, { signal })
    stream = await conn.newStream(c.protocol, { signal, maxOutboundStreams: 4096, negotiateFully: false })
  } catch {
    return { outcome: 'aborted' }
  }
  const pb = pbStream(stream, { maxDataLength: 1024 * 1024 })
  const errors: string[] = []
  let answered = 0
  try {
    if (c.wire.byteLength > 0 && !stream.send(c.wire)) await stream.onDrain({ signal })
    await stream.close({ signal })
    // the server answers what it could read, then closes (or aborts on a broken frame)
    for (;;) {
      const frame = await pb.read(SessionFrame, { signal })
      const res = frame.response
      assert.ok(res != null, `${c.protocol} ${c.what}: a session frame from the server without a response`)
      if (res.errorName === '') { answered++; continue }
      assert.ok(errorClasses[res.errorName] != null && res.errorName !== 'RemoteError', `${c.protocol} ${c.what}: untyped error ${res.errorName}: ${res.errorMessage}`)
      errors.push(res.errorName)
    }
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err
    if (signal.aborted) throw new Error(`${c.protocol} ${c.what}: no answer and no end within ${timeoutMs} ms`)
    stream.abort(err as Error)
  }
  if (errors.length > 0) return { outcome: 'typed-error', errorName: errors[0] }
  return { outcome: answered > 0 ? 'answered' : 'aborted' }
}

/** Garbage on a library's protocol: negotiated in full first, so "answered" means the victim took the stream. */
async function sendLibraryCase (attacker: Libp2p, target: PeerId, c: FrameCase, timeoutMs: number): Promise<{ outcome: Outcome }> {
  const signal = AbortSignal.timeout(timeoutMs)
  let stream: Stream
  try {
    const conn = attacker.getConnections(target)[0] ?? await attacker.dial(target, { signal })
    stream = await conn.newStream(c.protocol, { signal, maxOutboundStreams: 4096, negotiateFully: true })
  } catch {
    return { outcome: 'aborted' }
  }
  try {
    if (c.wire.byteLength > 0 && !stream.send(c.wire)) await stream.onDrain({ signal })
    await stream.close({ signal: AbortSignal.timeout(500) })
  } catch {}
  // these streams need not end on their own (gossipsub keeps its inbound ones): give up after a moment
  if (stream.status === 'open') stream.abort(new Error('done'))
  return { outcome: 'answered' }
}

/** One hostile frame, sent the way its protocol is spoken. */
async function sendFrame (attacker: Libp2p, target: PeerId, c: FrameCase, timeoutMs: number): Promise<{ outcome: Outcome, errorName?: string }> {
  switch (protocolClass(c.protocol)) {
    case 'session': return await sendSessionCase(attacker, target, c, timeoutMs)
    case 'library': return await sendLibraryCase(attacker, target, c, timeoutMs)
    default: return await sendCase(attacker, target, c, timeoutMs)
  }
}

async function attackerNode (key?: PrivateKey): Promise<Libp2p<MeshServices>> {
  return await createMeshLibp2p({ privateKey: key ?? await generateKeyPair('Ed25519'), meshId: MESH, listen: ['/ip4/127.0.0.1/tcp/0'], userAgent: 'attacker', services: {} })
}

const guardOf = (n: EdgecoderNode): PeerGuard => n.libp2p.services.rpcGuard as PeerGuard

/** what gossipsub's implementation offers beyond its interface (@libp2p/gossipsub dist/src/gossipsub.d.ts) */
interface GossipScoring { getScore: (peer: string) => number, opts: { scoreThresholds: { graylistThreshold: number } } }
const scoringOf = (n: EdgecoderNode): GossipScoring => n.libp2p.services.pubsub as unknown as GossipScoring
/** gossipsub's own score of a peer at a node, and the graylist threshold that node's gossipsub runs with */
const gossipScore = (n: EdgecoderNode, peer: PeerId): number => scoringOf(n).getScore(peer.toString())
const gossipGraylist = (n: EdgecoderNode): number => scoringOf(n).opts.scoreThresholds.graylistThreshold

/**
 * Fails unless `victim` answers an honest peer's ordinary requests: its admin actions from the start
 * (every node serves admin-sync, and holds at least the mesh's grant of its coordinator) and a ping;
 * a worker must also still take work (no hostile ops notice drained it).
 */
async function assertAnswers (victim: EdgecoderNode, honest: EdgecoderNode): Promise<void> {
  const signal = AbortSignal.timeout(10_000)
  await honest.libp2p.dial(victim.multiaddrs(), { signal })
  const dialer = { openStream: async (p: PeerId, proto: string, o: { signal: AbortSignal }) => await honest.libp2p.dialProtocol(p, proto, o) }
  const env = await honest.signer.sign(Domains.adminSync, AdminSyncRequest.encode({ from: 0n }), 30_000)
  const res = AdminSyncResponse.decode(await rpcCall(dialer, victim.peerId, Protocols.adminSync, env, { signal }))
  assert.ok(res.actions.length > 0 && res.next === BigInt(res.actions.length), `admin-sync from ${victim.role}: ${res.actions.length} actions, next ${res.next}`)
  assert.ok(await honest.libp2p.services.ping.ping(victim.peerId, { signal }) >= 0)
  if (victim.worker != null) assert.equal(victim.worker.isDraining, false, 'the worker was drained')
}

/** req/resp streams of our protocols open on a node right now (not the long-lived sessions) */
function openRpcStreams (n: EdgecoderNode): number {
  const ours = new Set<string>([...Object.values(Protocols), OPS_PROTOCOL])
  ours.delete(Protocols.session)
  return n.libp2p.getConnections().flatMap(c => c.streams).filter(s => ours.has(s.protocol ?? '')).length
}

const PB_DIR = new URL('../src/wire/pb/', import.meta.url)
const PROTO_DIR = new URL('../../protocols/', import.meta.url)

interface Codec { encode: (o: never) => Uint8Array, decode: (b: Uint8Array) => unknown }

/** Every message codec the generated modules in src/wire/pb export (nested namespaces too), by file and message name. */
async function wireCodecs (): Promise<Array<{ file: string, name: string, codec: Codec }>> {
  const out: Array<{ file: string, name: string, codec: Codec }> = []
  const walk = (file: string, ns: Record<string, unknown>): void => {
    for (const [name, v] of Object.entries(ns)) {
      if ((typeof v !== 'object' && typeof v !== 'function') || v == null) continue
      const c = v as Partial<Codec>
      if (typeof c.encode === 'function' && typeof c.decode === 'function') out.push({ file, name, codec: c as Codec })
      if (typeof v === 'object') walk(file, v as Record<string, unknown>)
    }
  }
  for (const file of (await readdir(PB_DIR)).filter(f => f.endsWith('.js'))) walk(file, await import(new URL(file, PB_DIR).href) as Record<string, unknown>)
  return out
}

/** The message names protocols/*.proto declare. */
async function protoMessages (): Promise<Set<string>> {
  const names = new Set<string>()
  for (const f of (await readdir(PROTO_DIR)).filter(f => f.endsWith('.proto'))) {
    const text = (await readFile(new URL(f, PROTO_DIR), 'utf8')).replace(/\/\/.*$/gm, '')
    for (const m of text.matchAll(/^\s*message\s+(\w+)\s*\{/gm)) names.add(m[1])
  }
  return names
}

/**
 * How protons' reader fails on bytes that are not a message: RangeError (a length or varint past the
 * end) or a plain Error (a wire type or enum value that does not exist). Every wire boundary turns
 * these into MalformedMessageError; anything else (a TypeError, a non-Error) is a decoder bug that
 * would surface as an untyped error, or worse.
 */
const DECODE_FAILURES = new Set(['RangeError', 'Error'])

function assertDecodeFailure (err: unknown, where: string): void {
  assert.ok(err instanceof Error, `${where}: threw a non-Error ${String(err)}`)
  assert.ok(DECODE_FAILURES.has(err.name) && (err.constructor === Error || err.constructor === RangeError), `${where}: ${err.name} (${err.constructor.name}): ${err.message}`)
}

describe('hostile input: decoders', function () {
  this.timeout(120_000)
  const runs = Math.max(200, Math.floor(FUZZ_RUNS / 3))
  let signer: Signer
  let signerKey: PrivateKey

  before(async () => {
    signerKey = await generateKeyPair('Ed25519')
    signer = createSigner(signerKey, MESH)
  })

  it('every protobuf message type in src/wire/pb decodes random and mutated bytes or fails with the reader\'s own errors; what decodes re-encodes', async () => {
    const codecs = await wireCodecs()
    // nothing missed: every message the .proto files declare has a codec here, and no codec is unaccounted for
    const declared = await protoMessages()
    assert.deepEqual([...new Set(codecs.map(c => c.name))].sort(), [...declared].sort())
    assert.deepEqual([...new Set(codecs.map(c => c.file))].sort(), (await readdir(PB_DIR)).filter(f => f.endsWith('.js')).sort(), 'every generated module contributes codecs')
    const failures: Record<string, number> = {}
    for (const { file, name, codec } of codecs) {
      const valid = codec.encode({} as never)
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), mutated(valid)), b => {
        let decoded: unknown
        try {
          decoded = codec.decode(b)
        } catch (err) {
          assertDecodeFailure(err, `${file} ${name}`)
          failures[(err as Error).name] = (failures[(err as Error).name] ?? 0) + 1
          return
        }
        // a decoded message is a message: it encodes again (a decoder leaving a field broken would not)
        assert.ok(decoded != null && typeof decoded === 'object', `${file} ${name}: decoded to ${String(decoded)}`)
        codec.encode(decoded as never)
      }), fcOpts(Math.max(50, Math.floor(runs / 10))))
    }
    // the property saw both kinds of failure the reader has
    assert.deepEqual(Object.keys(failures).sort(), [...DECODE_FAILURES].sort(), JSON.stringify(failures))
  })

  it('verifyEnvelope lets only typed errors out, for random, mutated and wrong envelopes', async () => {
    const good = await signer.sign(Domains.claim, ClaimRequest.encode({ jobId: 'x', executors: ['noop'], freeSlots: 1, claimNonce: new Uint8Array(16) }), 30_000)
    const goodBytes = SignedEnvelope.encode(good)
    let ok = 0
    await fc.assert(fc.asyncProperty(fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map(b => ({ payload: b, signature: new Uint8Array(64) })),
      mutated(good.payload).map(p => ({ payload: p, signature: good.signature })),
      mutated(goodBytes).map(b => { try { return SignedEnvelope.decode(b) } catch { return { payload: new Uint8Array(0), signature: new Uint8Array(0) } } })
    ), async env => {
      try {
        await verifyEnvelope(env as SignedEnvelope, { domain: Domains.claim, meshId: MESH })
        ok++
      } catch (err) { assertTyped(err, 'verifyEnvelope') }
    }), fcOpts(runs))
    // the mutations are not vacuous: the original verifies, and almost nothing else does
    await verifyEnvelope(good, { domain: Domains.claim, meshId: MESH })
    assert.ok(ok < runs / 10, `${ok} mutated envelopes verified`)
  })

  it('verifyJobSpec lets only typed errors out for valid envelopes around garbage and mutated specs', async () => {
    const spec = JobSpec.encode({ executor: 'noop', input: new Uint8Array(4), args: [], module: new Uint8Array(0), timeoutMs: 1000, maxAttempts: 1, offeredPrice: 0n, delayMs: 0, label: '', coordinator: '' })
    await fc.assert(fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated(spec)), async body => {
      const env = await signer.sign(Domains.jobSpec, body, 60_000)
      try { await verifyJobSpec(env, MESH) } catch (err) { assertTyped(err, 'verifyJobSpec') }
    }), fcOpts(Math.floor(runs / 2)))
  })

  it('signed notes and checkpoints: only typed errors for random, mutated and truncated notes', async () => {
    const key = await generateKeyPair('Ed25519')
    const origin = logOrigin(MESH, peerIdFromPrivateKey(key).toString())
    const vkey = noteVerifierKey(origin, key.publicKey.raw)
    const note = await signNote(formatCheckpoint({ origin, size: 42, rootHash: new Uint8Array(32).fill(9) }), origin, key)
    assert.equal(parseCheckpoint(openNote(note, [vkey]).text).size, 42)
    const enc = new TextEncoder()
    const dec = new TextDecoder()
    fc.assert(fc.property(fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      mutated(enc.encode(note)).map(b => dec.decode(b)),
      fc.nat(note.length).map(n => note.slice(0, n)),
      fc.tuple(fc.nat(note.length), fc.string({ maxLength: 20 })).map(([i, s]) => note.slice(0, i) + s + note.slice(i))
    ), text => {
      for (const [what, f] of [
        ['openNote', () => openNote(text, [vkey])],
        ['parseCheckpoint', () => parseCheckpoint(text)],
        ['parseVerifierKey', () => parseVerifierKey(text)],
        ['openNote with the text as a key', () => openNote(note, [text])]
      ] as Array<[string, () => unknown]>) {
        try { f() } catch (err) { assertTyped(err, what) }
      }
    }), fcOpts(Math.floor(runs / 3)))
  })

  it('gossip validators never throw and reject garbage', async () => {
    const key = await generateKeyPair('Ed25519')
    const from = peerIdFromPrivateKey(key)
    const ann = announcementValidator(MESH)
    const cps = checkpointValidator(MESH)
    const s = createSigner(key, MESH)
    const annBody = JobAnnouncement.encode({ jobId: 'j', executor: 'noop', offeredPrice: 0n, attempt: 1, round: 0, bidderFractionPpm: 1_000_000, queueDepth: 1 })
    const goodAnn = SignedEnvelope.encode(await s.sign(Domains.announce, annBody, 30_000))
    const msg = (data: Uint8Array, topic: string): GossipMessage => ({ type: 'signed', from, topic, data, sequenceNumber: 1n, signature: new Uint8Array(64), key: key.publicKey })
    assert.equal(await ann(from, msg(goodAnn, jobsTopic(MESH))), TopicValidatorResult.Accept)
    let accepted = 0
    await fc.assert(fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 600 }), mutated(goodAnn), mutated(CheckpointAnnouncement.encode({ note: 'x\n\n— y AAAA\n' }))), async data => {
      const a = await ann(from, msg(data, jobsTopic(MESH)))
      const c = cps(from, msg(data, checkpointsTopic(MESH)))
      if (a === TopicValidatorResult.Accept) accepted++
      assert.notEqual(c, TopicValidatorResult.Accept)
    }), fcOpts(runs))
    assert.ok(accepted < runs / 10, `${accepted} mutated announcements accepted`)
  })

  it('penalties and refusals are counted in libp2p metrics', () => {
    const counted: Record<string, Record<string, number>> = {}
    const group = (name: string): CounterGroup => ({
      increment: (values: Record<string, number | true>) => {
        const g = counted[name] ??= {}
        for (const [k, v] of Object.entries(values)) g[k] = (g[k] ?? 0) + (v === true ? 1 : v)
      },
      reset: () => { counted[name] = {} }
    })
    const calculated: string[] = []
    const metrics = {
      registerCounterGroup: group,
      registerCounter: (name: string) => { const g = group(name); return { increment: (v = 1) => { g.increment({ total: v }) }, reset: g.reset } },
      registerMetric: (name: string) => { calculated.push(name) }
    } as unknown as Metrics
    const guard = new PeerGuard(resolveLimits({ penalties: { banThreshold: 25 } })).bind({ logger: defaultLogger(), metrics })
    const peer = peerIdFromPrivateKey(signerKey)
    assert.equal(guard.admit(peer), 'ok')
    guard.release(peer)
    assert.equal(guard.reject(peer, Protocols.claim, 'MalformedMessageError'), false)
    assert.equal(guard.reject(peer, Protocols.claim, 'JobNotFoundError'), false, 'application errors cost nothing')
    assert.equal(guard.reject(peer, Protocols.lease, 'MessageTooLargeError'), true, 'the second violation crosses 25 points')
    assert.equal(guard.admit(peer), 'banned')
    assert.deepEqual(counted.edgecoder_rpc_rejected_total, { [`${Protocols.claim} MalformedMessageError`]: 1, [`${Protocols.claim} JobNotFoundError`]: 1, [`${Protocols.lease} MessageTooLargeError`]: 1 })
    assert.deepEqual(counted.edgecoder_peer_penalty_points_total, { MalformedMessageError: 10, MessageTooLargeError: 20 })
    assert.deepEqual(counted.edgecoder_rpc_refused_streams_total, { banned: 1 })
    assert.deepEqual(counted.edgecoder_peer_bans_total, { total: 1 })
    assert.deepEqual(calculated.sort(), ['edgecoder_gossip_graylisted_peers', 'edgecoder_peers_banned'])
    assert.ok(guard.gossipScore(peer.toString()) < DEFAULT_LIMITS.gossip.graylistThreshold, 'a banned peer is graylisted in gossip too')
  })

  it('limits: defaults resolve, bad values are refused with InvalidConfigError naming the key', () => {
    const l = resolveLimits({ rpc: { timeoutMs: 5000 }, penalties: { banThreshold: 50 } })
    assert.equal(l.rpc.timeoutMs, 5000)
    assert.equal(l.rpc.maxRequestBytes, DEFAULT_LIMITS.rpc.maxRequestBytes)
    assert.equal(l.penalties.weights.MalformedMessageError, DEFAULT_LIMITS.penalties.weights.MalformedMessageError)
    const bad: Array<[LimitsInput, RegExp]> = [
      [{ rpc: { timeoutMs: 0 } }, /limits\.rpc\.timeoutMs/],
      [{ rpc: { tiemoutMs: 5 } as unknown as LimitsInput['rpc'] }, /tiemoutMs is not a limit/],
      [{ protocols: { [Protocols.claim]: { ratePoints: -1 } } }, /ratePoints/],
      [{ penalties: { banThreshold: Number.NaN } }, /banThreshold/],
      [{ gossip: { graylistThreshold: 5 } }, /thresholds/],
      [{ gossip: { invalidMessageDecay: 1 } }, /invalidMessageDecay/]
    ]
    for (const [input, want] of bad) assert.throws(() => resolveLimits(input), (e: Error) => e.name === 'InvalidConfigError' && want.test(e.message))
  })
})

describe('hostile input: live nodes under attack', function () {
  this.timeout(180_000)
  const fx = new Fixture()
  const attackers: Libp2p[] = []
  afterEach(async () => {
    await Promise.allSettled(attackers.splice(0).map(async a => { await a.stop() }))
    await fx.cleanup()
  })

  it(`a coordinator and workers keep completing every honest job while ${FUZZ_RUNS} hostile frames hit every protocol`, async () => {
    // the ban threshold and the request rates are out of reach here so every frame reaches a handler
    // (the rates of enroll, ops and admin-sync would refuse all but a few); bans have their own test
    const unlimited = Object.fromEntries([...Object.values(Protocols), OPS_PROTOCOL].map(p => [p, { ratePoints: 1e9 }]))
    const limits: LimitsInput = { rpc: { timeoutMs: 3_000 }, penalties: { banThreshold: 1e15 }, protocols: unlimited }
    const coord = await fx.coordinator({ limits })
    const workers = await fx.workers(2, coord, { limits })
    const client = await fx.client(coord)
    await waitFor(() => client.libp2p.getConnections(coord.peerId).length > 0, 10_000, 'client to connect')
    const completed = new Map<string, number>()
    coord.events.on('job:completed', d => { completed.set(d.jobId, (completed.get(d.jobId) ?? 0) + 1) })

    // envelopes signed by the attacker's own key pass the signer check and reach the handlers' bodies
    const attackerKey = await generateKeyPair('Ed25519')
    const attacker = await attackerNode(attackerKey)
    attackers.push(attacker)
    const signers: Signers = {
      self: createSigner(attackerKey, MESH),
      otherMesh: createSigner(attackerKey, 'other-mesh'),
      other: createSigner(await generateKeyPair('Ed25519'), MESH)
    }
    await attacker.dial(coord.multiaddrs())
    for (const w of workers) await attacker.dial(w.multiaddrs())

    // honest users submit all through the attack: locally and over the mesh
    const honest: string[] = []
    let submitting = true
    const submitter = (async () => {
      for (let i = 0; submitting; i++) {
        honest.push(await (i % 2 === 0 ? coord : client).jobs.submit({ executor: 'noop', input: `honest-${i}` }))
        await new Promise(resolve => setTimeout(resolve, 40))
      }
    })()

    // every stream protocol each victim serves, as the node itself lists them: a protocol added
    // later with no hostile frames here fails the test instead of going unattacked
    const outcomes: Record<string, number> = {}
    const errorNames: Record<string, number> = {}
    /** per victim and protocol: frames sent, and how they came back */
    const per = new Map<EdgecoderNode, Map<string, Record<Outcome, number>>>()
    let frames = 0
    const targets: Array<[EdgecoderNode, number]> = [[coord, 0.75], [workers[0], 0.25]]
    const t0 = Date.now()
    for (const [victim, fraction] of targets) {
      const served = victim.libp2p.getProtocols()
      assert.deepEqual(served.filter(p => protocolClass(p) == null), [], 'served protocols with no hostile frames in this test')
      const counts = new Map(served.map(p => [p, { answered: 0, 'typed-error': 0, aborted: 0 }]))
      per.set(victim, counts)
      // FUZZ_RUNS frames go to our own protocols; each library protocol gets a few
      const perProtocol = Math.ceil(FUZZ_RUNS * fraction / served.filter(p => protocolClass(p) !== 'library').length)
      for (const protocol of served) {
        // a session stream holds one of a peer's 4 session slots, and identify takes one stream at a time
        const cls = protocolClass(protocol)
        const batch = cls === 'rpc' ? 40 : cls === 'session' ? 4 : 1
        const runs = Math.ceil((cls === 'library' ? Math.min(perProtocol, 16) : perProtocol) / batch)
        await fc.assert(fc.asyncProperty(fc.array(frameCase(signers, protocol, DEFAULT_LIMITS.rpc.maxRequestBytes), { minLength: batch, maxLength: batch }), async cases => {
          const results = await Promise.all(cases.map(async p => await sendFrame(attacker, victim.peerId, await p, 10_000)))
          for (const r of results) {
            const c = counts.get(protocol) as Record<Outcome, number>
            c[r.outcome]++
            if (cls !== 'library') outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1
            if (r.errorName != null) errorNames[r.errorName] = (errorNames[r.errorName] ?? 0) + 1
          }
          frames += results.length
        // no shrinking: each run is a batch of network exchanges (FUZZ_SEED replays a failure)
        }), { ...fcOpts(runs), endOnFailure: true })
      }
    }
    const attackMs = Date.now() - t0

    submitting = false
    await submitter
    // every honest job succeeds, and exactly once
    for (const id of honest) {
      const s = await coord.jobs.wait(id, { signal: AbortSignal.timeout(30_000) })
      assert.equal(s.state, 'succeeded', `honest job ${id}: ${s.state} ${s.reason}`)
      assert.equal(s.attempts.filter(a => a.outcome === 'succeeded').length, 1)
    }
    await waitFor(() => honest.every(id => completed.get(id) === 1), 10_000, 'completion events')
    assert.ok(honest.length >= 10, `only ${honest.length} honest jobs ran during the attack`)
    for (const id of honest) assert.equal(completed.get(id), 1, `job ${id} completed ${completed.get(id)} times`)

    // the attack was real: thousands of frames, most refused with typed errors, nothing untyped
    const ours = Object.values(outcomes).reduce((a, b) => a + b, 0)
    assert.ok(ours >= FUZZ_RUNS, `${ours} frames sent on our protocols`)
    assert.ok((outcomes['typed-error'] ?? 0) > ours / 2, `outcomes ${JSON.stringify(outcomes)}`)
    // on every protocol of every victim: our protocols refused some frames in their handlers with a
    // typed error, the libraries' took garbage on streams they had accepted
    for (const [victim, counts] of per) {
      for (const [protocol, c] of counts) {
        const reached = protocolClass(protocol) === 'library' ? c.answered : c['typed-error']
        assert.ok(reached > 0, `${victim === coord ? 'coordinator' : 'worker'} ${protocol}: no hostile frame reached it (${JSON.stringify(c)})`)
      }
    }
    for (const name of ['MalformedMessageError', 'MessageTooLargeError', 'InvalidSignatureError', 'WrongDomainError', 'WrongMeshError', 'MessageExpiredError']) {
      assert.ok((errorNames[name] ?? 0) > 0, `no ${name} among ${JSON.stringify(errorNames)}`)
    }
    for (const n of [coord, workers[0]]) {
      const st = guardOf(n).stats()
      const untyped = Object.keys(st.rejected).filter(k => k.includes('untyped:'))
      assert.deepEqual(untyped, [], `untyped errors escaped handlers: ${JSON.stringify(st.rejected)}`)
      // the attacker was charged far past the default ban threshold
      assert.ok(guardOf(n).points(attacker.peerId) > DEFAULT_LIMITS.penalties.banThreshold, `attacker has ${guardOf(n).points(attacker.peerId)} points`)
    }
    // nothing piles up: streams drain back once the server timeout has passed
    await waitFor(() => openRpcStreams(coord) <= 2 && openRpcStreams(workers[0]) <= 2, 10_000, 'attack streams to be closed')
    assert.ok(guardOf(coord).trackedPeers <= 10, `${guardOf(coord).trackedPeers} peers tracked`)
    // and the mesh still works: each victim answers an honest peer's ordinary request, and a job runs
    for (const victim of [coord, workers[0]]) await assertAnswers(victim, client)
    const after = await client.jobs.submit({ executor: 'noop', input: 'after the storm' })
    assert.equal((await client.jobs.wait(after, { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
    console.log(`      ${frames} frames in ${attackMs} ms: ${JSON.stringify(outcomes)}; ${honest.length} honest jobs all succeeded once`)
  })

  it('never-finished and half-sent streams are cut at the timeout and leave nothing behind', async () => {
    const limits: LimitsInput = { rpc: { timeoutMs: 2_000 }, penalties: { banThreshold: 1e15 } }
    const coord = await fx.coordinator({ limits })
    await fx.workers(1, coord, { limits })
    const attacker = await attackerNode()
    attackers.push(attacker)
    await attacker.dial(coord.multiaddrs())
    const protocols = [Protocols.claim, Protocols.lease, Protocols.result, Protocols.submit, Protocols.job, Protocols.ledger, Protocols.ledgerSync]
    const streams = await Promise.all(Array.from({ length: 140 }, async (_, i) => {
      const s = await attacker.dialProtocol(coord.peerId, protocols[i % protocols.length], { maxOutboundStreams: 4096, negotiateFully: false })
      // a partial length prefix, or a prefix promising more than ever comes
      s.send(i % 2 === 0 ? Uint8Array.of(0x80) : concat(varint(1000), new Uint8Array(10)))
      return s
    }))
    await waitFor(() => openRpcStreams(coord) >= 100, 5_000, 'the streams to open')
    const id = await coord.jobs.submit({ executor: 'noop', input: 'meanwhile' })
    assert.equal((await coord.jobs.wait(id, { signal: AbortSignal.timeout(10_000) })).state, 'succeeded')
    await waitFor(() => openRpcStreams(coord) === 0, 8_000, 'the server to cut the idle streams')
    await waitFor(() => streams.every(s => s.status !== 'open'), 5_000, 'the attacker to see its streams end')
    const st = guardOf(coord).stats()
    const timeouts = Object.entries(st.rejected).filter(([k]) => k.endsWith(' RpcTimeoutError')).reduce((a, [, v]) => a + v, 0)
    assert.ok(timeouts >= 140, `timeouts recorded: ${JSON.stringify(st.rejected)}`)
  })

  it('a peer sending invalid frames is banned: its streams are refused, its connection closed and refused, its gossip score graylisted', async () => {
    const coord = await fx.coordinator()
    const [worker] = await fx.workers(1, coord)
    const attacker = await attackerNode()
    attackers.push(attacker)
    await attacker.dial(coord.multiaddrs())
    const guard = guardOf(coord)
    const cases: Array<{ outcome: Outcome, errorName?: string }> = []
    for (let i = 0; i < 30 && !guard.isBanned(attacker.peerId); i++) {
      cases.push(await sendCase(attacker, coord.peerId, { protocol: Protocols.claim, wire: lp(Uint8Array.of(0xff, 0xff, 0xff)), what: 'garbage' }, 5_000))
    }
    // 100 points at 10 per malformed frame
    assert.ok(guard.isBanned(attacker.peerId), `not banned after ${cases.length} frames: ${guard.points(attacker.peerId)} points`)
    assert.ok(cases.length <= 11, `banned only after ${cases.length} frames`)
    assert.ok(cases.slice(0, -1).every(c => c.errorName === 'MalformedMessageError'), JSON.stringify(cases))
    assert.equal(guard.stats().bans, 1)
    assert.deepEqual(guard.stats().banned, [attacker.peerId.toString()])
    await waitFor(() => coord.libp2p.getConnections(attacker.peerId).length === 0 && attacker.getConnections(coord.peerId).length === 0, 5_000, 'the attacker to be disconnected')
    // coming back is refused while the ban lasts: the victim hangs up on the redial (the dialer's side
    // is open for a moment, until the victim learns who dials) and never opens a connection to it
    const reopened: string[] = []
    coord.libp2p.addEventListener('connection:open', e => { if (e.detail.remotePeer.equals(attacker.peerId)) reopened.push(e.detail.id) })
    const redial = await attacker.dial(coord.multiaddrs(), { signal: AbortSignal.timeout(5_000) }).catch(() => undefined)
    if (redial != null) await waitFor(() => redial.status !== 'open' || reopened.length > 0, 5_000, 'the victim to hang up on the banned peer')
    assert.deepEqual(reopened, [], 'a banned peer got back in')
    assert.equal(coord.libp2p.getConnections(attacker.peerId).length, 0, 'a banned peer got back in')
    const again = await sendCase(attacker, coord.peerId, { protocol: Protocols.job, wire: lp(new Uint8Array(3)), what: 'after ban' }, 5_000)
    assert.equal(again.outcome, 'aborted')
    // the req/resp ban drags gossipsub's own score of the peer below the graylist its gossipsub runs with
    assert.equal(gossipGraylist(coord), DEFAULT_LIMITS.gossip.graylistThreshold)
    assert.ok(gossipScore(coord, attacker.peerId) < gossipGraylist(coord), `gossipsub scores the banned peer ${gossipScore(coord, attacker.peerId)}`)
    // honest peers are untouched
    assert.equal(guard.isBanned(worker.peerId), false)
    const id = await coord.jobs.submit({ executor: 'noop', input: 'still serving' })
    assert.equal((await coord.jobs.wait(id, { signal: AbortSignal.timeout(10_000) })).state, 'succeeded')
  })

  it('a peer publishing invalid gossip is graylisted and its later messages are ignored', async () => {
    // the attacker reaches this worker only: a valid message relayed by an honest peer would still arrive
    const key = await generateKeyPair('Ed25519')
    // granted, so its valid announcements are heard (the control below); its garbage is what is tested
    const admin = await trustedAdmin()
    const worker = await fx.node({ role: 'worker', adminKeys: [admin.peerId] })
    await admin.grantAt(worker, peerIdFromPrivateKey(key).toString())
    const attacker = await attackerNode(key)
    attackers.push(attacker)
    const evil = createSigner(key, MESH)
    const topic = jobsTopic(MESH)
    await attacker.dial(worker.multiaddrs())
    await waitFor(() => attacker.services.pubsub.getSubscribers(topic).some(p => p.equals(worker.peerId)), 10_000, 'the attacker to see the worker subscribed')
    // a second granted publisher on a connection of its own: the positive control for the end
    const peerKey = await generateKeyPair('Ed25519')
    await admin.grantAt(worker, peerIdFromPrivateKey(peerKey).toString())
    const honest = await attackerNode(peerKey)
    attackers.push(honest)
    await honest.dial(worker.multiaddrs())
    await waitFor(() => honest.services.pubsub.getSubscribers(topic).some(p => p.equals(worker.peerId)), 10_000, 'the honest publisher to see the worker subscribed')
    const heard: string[] = []
    const heardHonest: string[] = []
    worker.events.on('work:heard', d => {
      if (d.coordinator === attacker.peerId.toString()) heard.push(d.jobId)
      if (d.coordinator === honest.peerId.toString()) heardHonest.push(d.jobId)
    })
    const announceFrom = async (node: Libp2p<MeshServices>, signer: Signer, jobId: string): Promise<void> => {
      const body = JobAnnouncement.encode({ jobId, executor: 'fuzz', offeredPrice: 0n, attempt: 1, round: 0, bidderFractionPpm: 0, queueDepth: 1 })
      await node.services.pubsub.publish(topic, SignedEnvelope.encode(await signer.sign(Domains.announce, body, 30_000)))
    }
    const announce = async (jobId: string): Promise<void> => { await announceFrom(attacker, evil, jobId) }
    // control: before misbehaving, a valid announcement from this peer is heard
    await announce('control')
    await waitFor(() => heard.includes('control'), 5_000, 'the control announcement')
    const score = (): number => gossipScore(worker, attacker.peerId)
    const threshold = DEFAULT_LIMITS.gossip.graylistThreshold
    // P4 = weight * invalid^2 per topic: 7 + 7 invalid messages pass -80
    const garbage = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 300 }), { numRuns: 7, ...(SEED != null ? { seed: SEED } : {}) })
    for (const [i, g] of garbage.entries()) {
      await attacker.services.pubsub.publish(topic, g)
      await attacker.services.pubsub.publish(checkpointsTopic(MESH), CheckpointAnnouncement.encode({ note: `garbage ${i}\n\n— x AAAA\n` }))
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    await waitFor(() => score() < threshold, 5_000, `the attacker's score (${score()}) to fall below ${threshold}`)
    // gossipsub keeps accepting from a peer that scored well for up to 1 s (its accept-from whitelist)
    await new Promise(resolve => setTimeout(resolve, 1_200))
    // graylisted: even a valid message is now dropped unread, while the honest publisher's, sent
    // after it, is heard: the worker had every chance to hear the attacker's
    await announce('after')
    await announceFrom(honest, createSigner(peerKey, MESH), 'honest-after')
    await waitFor(() => heardHonest.includes('honest-after'), 5_000, 'the honest announcement sent after the graylisted one')
    assert.deepEqual(heard, ['control'])
    assert.ok(guardOf(worker).graylisted().includes(attacker.peerId.toString()))
    // the worker goes on serving honest coordinators (one granted by the admin key it trusts)
    const coord = await fx.coordinator()
    await admin.grantAt(worker, coord.peerId.toString())
    await worker.libp2p.dial(coord.multiaddrs())
    await waitFor(() => worker.worker?.coordinators.has(coord.peerId.toString()) === true, 10_000, 'the worker to find a coordinator')
    const id = await coord.jobs.submit({ executor: 'noop', input: 'gossip still works' })
    assert.equal((await coord.jobs.wait(id, { signal: AbortSignal.timeout(10_000) })).state, 'succeeded')
  })

  it('frames up to the configured limits pass: a 5 MiB job goes from a client through the coordinator to a worker', async () => {
    const coord = await fx.coordinator()
    await fx.workers(1, coord)
    const client = await fx.client(coord)
    await waitFor(() => client.libp2p.getConnections(coord.peerId).length > 0, 10_000, 'client to connect')
    // 4 MiB module + 1 MiB input: over the stream buffer's 4 MiB default, under the submit limit
    const module = new Uint8Array(4 * 1024 * 1024).fill(1)
    const id = await client.jobs.submit({ executor: 'noop', input: new Uint8Array(1024 * 1024 - 64).fill(2), module })
    const s = await client.jobs.wait(id, { signal: AbortSignal.timeout(30_000) })
    assert.equal(s.state, 'succeeded', s.reason)
  })
})
