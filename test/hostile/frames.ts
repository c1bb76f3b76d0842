// Hostile frames for every served stream protocol, in the way each is spoken: a valid body per
// request/response protocol (random field values), signed envelopes valid or wrong in one way,
// bad framing for any stream, session streams of several frames, raw garbage for the libraries'
// protocols. Used by test/hostile-protocols.spec.ts.
import fc from 'fast-check'
import { MESH } from '../helpers.js'
import type { Signer } from '../../src/wire/signed.js'
import { Domains, Protocols, dhtProtocol } from '../../src/wire/domains.js'
import { SignedEnvelope, SignedPayload } from '../../src/wire/pb/envelope.js'
import { SessionFrame } from '../../src/wire/pb/rpc.js'
import { ClaimRequest, CancelNotice, JobQuery, JobResult, JobSpec, LeaseRenewal } from '../../src/wire/pb/jobs.js'
import { LedgerRequest, SyncRequest } from '../../src/wire/pb/ledger.js'
import { AdminSyncRequest, EnrollRequest } from '../../src/wire/pb/admission.js'
import { OpsNotice } from '../../src/wire/pb/ops.js'
import { OPS_NOTICE_DOMAIN, OPS_PROTOCOL } from '../../src/ops/ops-service.js'
import { concat, lp, mutated, varint } from './fuzz.js'

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
export function protocolClass (p: string): 'rpc' | 'session' | 'library' | undefined {
  if (bodies[p] != null) return 'rpc'
  if (p === Protocols.session) return 'session'
  return isLibraryProtocol(p) ? 'library' : undefined
}

type EnvKind = 'valid' | 'wrong-domain' | 'wrong-mesh' | 'expired' | 'bad-signature' | 'other-signer' | 'garbage-body' | 'mutated-body'

export interface Signers { self: Signer, otherMesh: Signer, other: Signer }

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

export interface FrameCase {
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
export function frameCase (s: Signers, protocol: string, maxRequestBytes: number): fc.Arbitrary<Promise<FrameCase>> {
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
