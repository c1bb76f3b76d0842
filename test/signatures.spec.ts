import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { pbStream } from '@libp2p/utils'
import { Fixture, waitFor, MESH, trustedAdmin } from './helpers.js'
import { createMeshLibp2p } from '../src/mesh/create-libp2p.js'
import { createSigner, verifyEnvelope, ReplayGuard, sha256, type Signer } from '../src/wire/signed.js'
import { Domains, Protocols } from '../src/wire/domains.js'
import { SignedEnvelope, SignedPayload } from '../src/wire/pb/envelope.js'
import { RpcResponse } from '../src/wire/pb/rpc.js'
import { Assignment, ClaimRequest, ClaimResponse, JobResult, ResultAck } from '../src/wire/pb/jobs.js'
import { LedgerEntry } from '../src/wire/pb/ledger.js'
import { loadEnvelope } from '../src/jobs/envelopes.js'
import { buildJobSpec, signJobSpec } from '../src/jobs/job-spec.js'
import { rpcCall } from '../src/rpc/reqresp.js'
import type { Libp2p } from '@libp2p/interface'
import type { EdgecoderNode } from '../src/node/create-node.js'

describe('signed messages', function () {
  this.timeout(60_000)

  it('an envelope is bound to its domain, mesh, signer and expiry', async () => {
    const key = await generateKeyPair('Ed25519')
    const s = createSigner(key, MESH)
    const env = await s.sign(Domains.claim, new Uint8Array([1, 2, 3]), 10_000)
    const v = await verifyEnvelope(env, { domain: Domains.claim, meshId: MESH, expectedSigner: s.peerId })
    assert.deepEqual([...v.payload.body], [1, 2, 3])
    await assert.rejects(verifyEnvelope(env, { domain: Domains.result, meshId: MESH }), { name: 'WrongDomainError' })
    await assert.rejects(verifyEnvelope(env, { domain: Domains.claim, meshId: 'other' }), { name: 'WrongMeshError' })
    const other = createSigner(await generateKeyPair('Ed25519'), MESH)
    await assert.rejects(verifyEnvelope(env, { domain: Domains.claim, meshId: MESH, expectedSigner: other.peerId }), { name: 'UnexpectedSignerError' })
    await assert.rejects(verifyEnvelope(env, { domain: Domains.claim, meshId: MESH, now: Date.now() + 20_000 }), { name: 'MessageExpiredError' })
    const tampered = { payload: new Uint8Array(env.payload), signature: env.signature }
    tampered.payload[tampered.payload.length - 1] ^= 1
    await assert.rejects(verifyEnvelope(tampered, { domain: Domains.claim, meshId: MESH }), { name: 'InvalidSignatureError' })
    // a signature lifted onto a payload signed by someone else does not verify
    const theirs = await other.sign(Domains.claim, new Uint8Array([1, 2, 3]), 10_000)
    await assert.rejects(verifyEnvelope({ payload: theirs.payload, signature: env.signature }, { domain: Domains.claim, meshId: MESH }), { name: 'InvalidSignatureError' })
    const guard = new ReplayGuard()
    await verifyEnvelope(env, { domain: Domains.claim, meshId: MESH, replay: guard })
    await assert.rejects(verifyEnvelope(env, { domain: Domains.claim, meshId: MESH, replay: guard }), { name: 'ReplayedMessageError' })
    await assert.rejects(verifyEnvelope({ payload: new Uint8Array([0xff, 0xff]), signature: new Uint8Array(64) }, { domain: Domains.claim, meshId: MESH }), { name: 'MalformedMessageError' })
  })
})

type Mode = 'forged' | 'expired' | 'wrong-domain' | 'wrong-mesh' | 'other-worker' | 'tampered' | 'replay' | 'bad-spec'

/** A coordinator that answers claims with whatever assignment the test asks for. */
async function rogueCoordinator (user: Signer): Promise<{ libp2p: Libp2p, setMode: (m: Mode) => void, claims: () => number, stop: () => Promise<void> }> {
  const key = await generateKeyPair('Ed25519')
  const libp2p = await createMeshLibp2p({ privateKey: key, meshId: MESH, listen: ['/ip4/127.0.0.1/tcp/0'], userAgent: 'rogue', services: {} })
  const rogue = createSigner(key, MESH)
  const evil = createSigner(await generateKeyPair('Ed25519'), MESH)
  const otherMesh = createSigner(key, 'other-mesh')
  let mode: Mode = 'forged'
  let claims = 0
  let previous: SignedEnvelope | undefined
  const spec = await signJobSpec(user, buildJobSpec({ executor: 'noop', input: 'x' }))
  const jobId = Buffer.from(sha256(spec.payload)).toString('hex')
  await libp2p.handle(Protocols.claim, async (stream, conn) => {
    claims++
    const pb = pbStream(stream)
    const req = await pb.read(SignedEnvelope)
    const claim = ClaimRequest.decode(SignedPayload.decode(req.payload).body)
    const body = (worker: string, job = spec): Uint8Array => Assignment.encode({
      jobId, worker, attempt: 1, leaseExpiresAtMs: BigInt(Date.now() + 10_000), nonce: new Uint8Array(16).fill(7), claimNonce: claim.claimNonce, job
    })
    const me = conn.remotePeer.toString()
    let env: SignedEnvelope
    switch (mode) {
      case 'forged': env = await evil.sign(Domains.assignment, body(me), 10_000); break
      case 'expired': env = await rogue.sign(Domains.assignment, body(me), -1_000); break
      case 'wrong-domain': env = await rogue.sign(Domains.lease, body(me), 10_000); break
      case 'wrong-mesh': env = await otherMesh.sign(Domains.assignment, body(me), 10_000); break
      case 'other-worker': env = await rogue.sign(Domains.assignment, body(evil.peerId.toString()), 10_000); break
      case 'bad-spec': {
        const forgedSpec = { payload: spec.payload, signature: new Uint8Array(64) }
        env = await rogue.sign(Domains.assignment, body(me, forgedSpec), 10_000)
        break
      }
      case 'tampered': {
        env = await rogue.sign(Domains.assignment, body(me), 10_000)
        env = { payload: new Uint8Array(env.payload), signature: env.signature }
        env.payload[env.payload.length - 30] ^= 0x55
        break
      }
      case 'replay': env = previous ?? await rogue.sign(Domains.assignment, body(me), 10_000); break
    }
    previous = env
    await pb.write({ errorName: '', errorMessage: '', body: ClaimResponse.encode({ status: ClaimResponse.Status.ASSIGNED, assignment: env, queueDepth: 1 }) }, RpcResponse)
    await stream.close()
  })
  return { libp2p, setMode: m => { mode = m }, claims: () => claims, stop: async () => { await libp2p.stop() } }
}

describe('worker refuses bad assignments', function () {
  this.timeout(60_000)
  const fx = new Fixture()
  after(async () => { await fx.cleanup() })

  it('forged, expired, replayed, re-purposed, cross-mesh, misaddressed and tampered assignments are refused and nothing runs', async () => {
    const user = createSigner(await generateKeyPair('Ed25519'), MESH)
    const rogue = await rogueCoordinator(user)
    // the worker would never claim from an ungranted peer (test/authority.spec.ts): grant this one,
    // so what is tested here is the assignment's own checks
    const admin = await trustedAdmin()
    const worker = await fx.node({ role: 'worker', adminKeys: [admin.peerId] })
    await admin.grantAt(worker, rogue.libp2p.peerId.toString())
    const rejected: string[] = []
    let ran = 0
    worker.events.on('work:rejected', d => { rejected.push(d.reason) })
    worker.events.on('work:assigned', () => { ran++ })
    try {
      await worker.libp2p.dial(rogue.libp2p.getMultiaddrs())
      // identify tells the worker this peer serves claims, so it claims once by itself: let that settle
      await waitFor(() => rejected.length >= 1, 5_000, 'the automatic first claim')
      assert.match(rejected[0], /UnexpectedSignerError/)
      const cases: Array<[Mode, RegExp]> = [
        ['forged', /UnexpectedSignerError/],
        ['expired', /MessageExpiredError/],
        ['wrong-domain', /WrongDomainError/],
        ['wrong-mesh', /WrongMeshError/],
        ['other-worker', /names worker/],
        ['tampered', /InvalidSignatureError|MalformedMessageError/],
        ['bad-spec', /InvalidSignatureError/],
        ['replay', /claim nonce mismatch|ReplayedMessageError/]
      ]
      for (const [mode, want] of cases) {
        rogue.setMode(mode)
        const before = rejected.length
        const got = await worker.worker?.claimFrom(rogue.libp2p.peerId)
        assert.equal(got, false, `${mode} assignment must not be accepted`)
        await waitFor(() => rejected.length > before, 5_000, `${mode} rejection`)
        assert.match(rejected[rejected.length - 1], want, `${mode}: ${rejected[rejected.length - 1]}`)
      }
      // and again: a replayed envelope never becomes acceptable
      const before = rejected.length
      assert.equal(await worker.worker?.claimFrom(rogue.libp2p.peerId), false)
      await waitFor(() => rejected.length > before, 5_000, 'replay rejection')
      assert.match(rejected[rejected.length - 1], /claim nonce mismatch|ReplayedMessageError/)
      assert.equal(ran, 0, 'no assignment was run')
      assert.equal(worker.worker?.runningJobs.length, 0)
    } finally {
      await rogue.stop()
    }
  })

  it('an identical assignment presented twice is refused the second time (replay guard)', async () => {
    const coordKey = await generateKeyPair('Ed25519')
    const coordSigner = createSigner(coordKey, MESH)
    const user = createSigner(await generateKeyPair('Ed25519'), MESH)
    const admin = await trustedAdmin()
    const worker = await fx.node({ role: 'worker', adminKeys: [admin.peerId] })
    await admin.grantAt(worker, coordSigner.peerId.toString())
    const spec = await signJobSpec(user, buildJobSpec({ executor: 'noop', input: 'x' }))
    const claimNonce = new Uint8Array(16).fill(3)
    const env = await coordSigner.sign(Domains.assignment, Assignment.encode({
      jobId: Buffer.from(sha256(spec.payload)).toString('hex'), worker: worker.peerId.toString(), attempt: 1,
      leaseExpiresAtMs: BigInt(Date.now() + 10_000), nonce: new Uint8Array(16).fill(9), claimNonce, job: spec
    }), 10_000)
    const ok = await worker.worker?.acceptAssignment(env, coordSigner.peerId, claimNonce)
    assert.equal(ok?.assignment.attempt, 1)
    await assert.rejects(worker.worker?.acceptAssignment(env, coordSigner.peerId, claimNonce) ?? Promise.resolve(), (e: Error) => e.name === 'AssignmentRejectedError' && /ReplayedMessageError/.test(e.message))
  })
})

describe('coordinator refuses results from anyone but the live assignee', function () {
  this.timeout(60_000)
  const fx = new Fixture()
  after(async () => { await fx.cleanup() })

  const dialer = (n: EdgecoderNode) => ({ openStream: async (p: Parameters<Libp2p['dialProtocol']>[0], proto: string, o: { signal: AbortSignal }) => await n.libp2p.dialProtocol(p, proto, o) })

  it('a stranger, a stale attempt and a wrong output digest are refused; the real result is accepted once', async () => {
    const coord = await fx.coordinator({ leaseMs: 5_000 })
    const [worker] = await fx.workers(1, coord, { slots: 1 })
    const completions: string[] = []
    coord.events.on('job:completed', d => { completions.push(d.jobId) })
    const id = await coord.jobs.submit({ executor: 'noop', input: 'real', delayMs: 1_500 })
    await waitFor(async () => (await coord.jobs.status(id)).state === 'running', 10_000, 'job to run')
    const lease = coord.coordinator?.store.live.get(id)?.lease
    if (lease == null) throw new Error('no live lease')
    const digest = new Uint8Array(Buffer.from(lease.assignmentDigest, 'hex'))
    const output = new TextEncoder().encode('fake')
    const fake = (attempt: number, outputDigest = sha256(output)): Uint8Array => JobResult.encode({
      jobId: id, attempt, assignmentDigest: digest, output, exitCode: 0, outputDigest, error: '', errorMessage: '', stderr: new Uint8Array(0)
    })
    const stranger = await fx.node({ role: 'client', bootstrap: coord.bootstrapConfig() })
    await assert.rejects(
      rpcCall(dialer(stranger), coord.peerId, Protocols.result, await stranger.signer.sign(Domains.result, fake(1), 60_000)),
      (e: Error) => e.name === 'NotAssigneeError')
    // the assignee itself, for an attempt that is not the live one
    await assert.rejects(
      rpcCall(dialer(worker), coord.peerId, Protocols.result, await worker.signer.sign(Domains.result, fake(2), 60_000)),
      (e: Error) => e.name === 'StaleAttemptError')
    await assert.rejects(
      rpcCall(dialer(worker), coord.peerId, Protocols.result, await worker.signer.sign(Domains.result, fake(1, new Uint8Array(32)), 60_000)),
      (e: Error) => e.name === 'MalformedMessageError')
    // a result signed for another protocol is refused before anything else
    await assert.rejects(
      rpcCall(dialer(worker), coord.peerId, Protocols.result, await worker.signer.sign(Domains.lease, fake(1), 60_000)),
      (e: Error) => e.name === 'WrongDomainError')
    const s = await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })
    assert.equal(s.state, 'succeeded')
    assert.equal(new TextDecoder().decode((await coord.jobs.result(id)).result?.output), 'real')
    // accepted once: the very result the worker sent, presented again, is only acknowledged as a
    // duplicate; one attempt succeeded, the job completed once and the log settles it once
    const stored = (await coord.coordinator?.store.get(id))?.result?.envelope
    assert.ok(stored != null, 'the coordinator keeps the accepted result')
    const again = ResultAck.decode(await rpcCall(dialer(worker), coord.peerId, Protocols.result, loadEnvelope(stored)))
    assert.equal(again.status, ResultAck.Status.DUPLICATE)
    assert.equal(s.attempts.filter(a => a.outcome === 'succeeded').length, 1)
    assert.deepEqual(completions.filter(j => j === id), [id])
    const ledger = coord.ledger
    assert.ok(ledger != null)
    await ledger.checkpoint()
    let settlements = 0
    for (let i = 0; i < ledger.checkpointSize; i++) if (LedgerEntry.decode(await ledger.entry(i)).settlement?.jobId === id) settlements++
    assert.equal(settlements, 1)
  })
})
