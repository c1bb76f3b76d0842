// Session streams (src/rpc/session.ts): a worker's claims, lease renewals and results travel on one
// long-lived stream per coordinator; an idle worker leaves one claim waiting there, so a new job is
// dispatched without gossip. Real nodes on loopback; the hostile cases speak the session protocol
// from a raw libp2p node.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { pbStream } from '@libp2p/utils'
import type { Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import { Fixture, waitFor, MESH, echoExecutor } from './helpers.js'
import { MeshCounters } from '../bench/lib/counters.js'
import { createMeshLibp2p, type MeshServices } from '../src/mesh/create-libp2p.js'
import { createSigner } from '../src/wire/signed.js'
import { Domains, Protocols } from '../src/wire/domains.js'
import { SessionFrame } from '../src/wire/pb/rpc.js'
import { ClaimRequest, ClaimResponse } from '../src/wire/pb/jobs.js'
import type { EdgecoderNode } from '../src/node/create-node.js'

describe('session streams', function () {
  this.timeout(60_000)
  const fx = new Fixture()
  afterEach(async () => { await fx.cleanup() })

  /** inbound protocol streams the coordinator accepted, by protocol */
  function inbound (counters: MeshCounters, protocol: string): number {
    return counters.snapshot().streams[`inbound ${protocol}`] ?? 0
  }

  it('claims, lease renewals and results of many jobs share one session stream per worker', async () => {
    const counters = new MeshCounters()
    const coord = await fx.coordinator({ instrumentation: counters.instrumentation() })
    const [w] = await fx.workers(1, coord, { slots: 2 })
    // long enough for lease renewals to be sent too
    const ids: string[] = []
    for (let i = 0; i < 4; i++) ids.push(await coord.jobs.submit({ executor: 'noop', input: `slow-${i}`, delayMs: 400 }))
    for (let i = 0; i < 30; i++) ids.push(await coord.jobs.submit({ executor: 'noop', input: `fast-${i}` }))
    await waitFor(async () => (await Promise.all(ids.map(async id => (await coord.coordinator?.status(id))?.state))).every(s => s === 'succeeded'), 30_000, 'every job to succeed')
    const snap = counters.snapshot()
    assert.equal(inbound(counters, Protocols.claim), 0, 'no claim stream')
    assert.equal(inbound(counters, Protocols.result), 0, 'no result stream')
    assert.equal(inbound(counters, Protocols.lease), 0, 'no lease stream')
    assert.equal(inbound(counters, Protocols.session), 1, 'one session stream')
    // every job's result arrived as a frame on it (its claim came as a frame or rode on a result),
    // and renewals for the slow ones
    const framesIn = snap.counters.edgecoder_rpc_session_frames_received_total ?? 0
    assert.ok(framesIn >= ids.length, `frames received ${framesIn} for ${ids.length} jobs`)
    // one response per request; cancels (a waiting claim withdrawn as the slots filled) get none
    const framesOut = snap.counters.edgecoder_rpc_session_frames_sent_total ?? 0
    assert.ok(framesOut >= ids.length && framesOut <= framesIn, `frames sent ${framesOut}, received ${framesIn}`)
    // the worker lets go of the last job once its ack is in (a moment after the coordinator records it)
    await waitFor(() => w.worker?.runningJobs.length === 0, 5_000, 'the worker to hold no job')
  })

  it('a backlog takes one exchange per job: each result carries the claim for the slot it frees, its ack the next assignment', async () => {
    const counters = new MeshCounters()
    const coord = await fx.coordinator({ instrumentation: counters.instrumentation() })
    await fx.workers(1, coord, { slots: 1 })
    const svc = coord.coordinator
    assert.ok(svc != null)
    await waitFor(() => svc.waitingClaims === 1, 10_000, 'the worker\'s claim to wait')
    let announced = 0
    coord.events.on('job:announced', () => { announced++ })
    const before = counters.snapshot().counters.edgecoder_rpc_session_frames_received_total ?? 0
    // job:completed fires once the result and its settlement are durable (status reads 'succeeded'
    // a moment earlier, while they are written)
    const completed = new Set<string>()
    coord.events.on('job:completed', d => { completed.add(d.jobId) })
    const ids: string[] = []
    for (let i = 0; i < 40; i++) ids.push(await coord.jobs.submit({ executor: 'noop', input: `chained-${i}` }))
    await waitFor(() => ids.every(id => completed.has(id)), 30_000, 'every job to complete')
    for (const id of ids) assert.equal((await svc.status(id)).state, 'succeeded')
    const framesIn = (counters.snapshot().counters.edgecoder_rpc_session_frames_received_total ?? 0) - before
    // 40 results, the claims riding on them; a separate claim only to start and to wait again after
    // (answering each result and then claiming again would be 80 frames)
    assert.ok(framesIn >= 40 && framesIn <= 46, `frames received for 40 jobs: ${framesIn}`)
    assert.equal(announced, 0)
    for (const id of ids) {
      const r = await coord.jobs.result(id)
      assert.equal(r.attempts.length, 1, 'each job ran once')
      assert.ok(r.signedResult != null && r.signedResult.signature.byteLength === 64)
      assert.equal(coord.ledger?.isSettled(id), true)
    }
  })

  it('an idle worker waits on its session: a new job is assigned without an announcement', async () => {
    const coord = await fx.coordinator()
    await fx.workers(2, coord)
    const svc = coord.coordinator
    assert.ok(svc != null)
    await waitFor(() => svc.waitingClaims === 2, 10_000, 'both workers to leave a claim waiting')
    let announced = 0
    coord.events.on('job:announced', () => { announced++ })
    const ids: string[] = []
    for (let i = 0; i < 10; i++) {
      ids.push(await coord.jobs.submit({ executor: 'noop', input: `idle-${i}` }))
      await waitFor(async () => (await svc.status(ids[i])).state === 'succeeded', 10_000, `job ${i} to succeed`)
      await waitFor(() => svc.waitingClaims === 2, 10_000, 'the claims to wait again')
    }
    assert.equal(announced, 0, 'no job needed gossip')
  })

  it('a drained worker withdraws its waiting claim, and gets work again after undrain', async () => {
    const coord = await fx.coordinator()
    const [w] = await fx.workers(1, coord)
    const svc = coord.coordinator
    assert.ok(svc != null && w.worker != null)
    await waitFor(() => svc.waitingClaims === 1, 10_000, 'a waiting claim')
    await w.worker.drain()
    // withdrawn at once, not left to its 8-s wait
    await waitFor(() => svc.waitingClaims === 0, 3_000, 'the claim to be withdrawn')
    // a second worker that takes only jobs of its own kind: the positive control
    await fx.workers(1, coord, { executors: [echoExecutor('control')], offer: ['control'] })
    const id = await coord.jobs.submit({ executor: 'noop', input: 'after-drain' })
    // submitted after the drained worker's job, the control job reaches the other worker and runs:
    // the drained worker had as long to take its own
    const control = await coord.jobs.submit({ executor: 'control', input: 'meanwhile' })
    assert.equal((await coord.jobs.wait(control, { signal: AbortSignal.timeout(10_000) })).state, 'succeeded')
    const held = await svc.status(id)
    assert.equal(held.state, 'queued', 'a draining worker takes nothing')
    assert.deepEqual(held.attempts, [])
    w.worker.undrain()
    await waitFor(async () => (await svc.status(id)).state === 'succeeded', 10_000, 'the job to run after undrain')
  })

  it('a session cut mid-job: the result is delivered on a new one, with no second attempt, and settled', async () => {
    const coord = await fx.coordinator({ leaseMs: 5_000 })
    const [w] = await fx.workers(1, coord)
    const svc = coord.coordinator
    assert.ok(svc != null)
    const id = await coord.jobs.submit({ executor: 'noop', input: 'cut', delayMs: 500 })
    // running on the worker: cutting while the assignment is still on the wire would lose it, and
    // the job would wait out its lease (a second attempt) — a different case from this one
    await waitFor(() => w.worker?.runningJobs.includes(id) === true, 5_000, 'the job to run on the worker')
    let cut = 0
    for (const conn of coord.libp2p.getConnections()) {
      for (const s of conn.streams) if (s.protocol === Protocols.session) { s.abort(new Error('cut by the test')); cut++ }
    }
    assert.ok(cut >= 1, 'a session stream to cut')
    await waitFor(async () => (await svc.status(id)).state === 'succeeded', 10_000, 'the job to succeed')
    const st = await svc.status(id)
    assert.equal(st.attempt, 1, 'no second attempt: the result came through')
    // settled right after the state is written: wait for it, then check it happened once
    await waitFor(() => coord.ledger?.isSettled(id) === true, 5_000, 'the job to be settled')
  })

  it('a coordinator that does not serve sessions is called on fresh streams', async () => {
    const counters = new MeshCounters()
    const coord = await fx.coordinator({ instrumentation: counters.instrumentation() })
    // an older node: no session protocol
    await coord.libp2p.unhandle(Protocols.session)
    await fx.workers(1, coord)
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(await coord.jobs.submit({ executor: 'noop', input: `old-${i}` }))
    await waitFor(async () => (await Promise.all(ids.map(async id => (await coord.coordinator?.status(id))?.state))).every(s => s === 'succeeded'), 20_000, 'every job to succeed')
    assert.equal(inbound(counters, Protocols.session), 0)
    // results on fresh streams, the claims on their own streams or riding on the results
    assert.ok(inbound(counters, Protocols.claim) >= 1 && inbound(counters, Protocols.result) >= 5, JSON.stringify(counters.snapshot().streams))
  })

  describe('hostile frames', () => {
    let coord: EdgecoderNode
    let attacker: Libp2p<MeshServices>
    let key: PrivateKey
    let raw: Stream
    beforeEach(async () => {
      coord = await fx.coordinator()
      key = await generateKeyPair('Ed25519')
      attacker = await createMeshLibp2p({ privateKey: key, meshId: MESH, listen: ['/ip4/127.0.0.1/tcp/0'], userAgent: 'attacker', services: {} })
      await attacker.dial(coord.multiaddrs()[0])
    })
    afterEach(async () => { await attacker.stop() })

    async function open (): Promise<ReturnType<typeof pbStream>> {
      raw = await attacker.dialProtocol(coord.peerId, Protocols.session)
      return pbStream(raw)
    }

    it('answers an unknown protocol, a method not offered on sessions, a missing request and a reused id with typed errors', async () => {
      const pb = await open()
      const signer = createSigner(await generateKeyPair('Ed25519'), MESH)
      const claim = await signer.sign(Domains.claim, ClaimRequest.encode({ jobId: '', executors: ['noop'], freeSlots: 1, claimNonce: new Uint8Array(16), waitMs: 0 }), 30_000)
      await pb.write({ id: 1, protocol: '/nope/1.0.0', request: claim, cancel: false }, SessionFrame)
      await pb.write({ id: 2, protocol: Protocols.submit, request: claim, cancel: false }, SessionFrame)
      await pb.write({ id: 3, protocol: Protocols.claim, cancel: false }, SessionFrame)
      const answers = new Map<number, string>()
      for (let i = 0; i < 3; i++) {
        const f = await pb.read(SessionFrame)
        answers.set(f.id, f.response?.errorName ?? '')
      }
      assert.deepEqual(Object.fromEntries(answers), { 1: 'MalformedMessageError', 2: 'MalformedMessageError', 3: 'MalformedMessageError' })
      // a claim signed by a key that is not the stream's peer: the method's own check answers
      await pb.write({ id: 4, protocol: Protocols.claim, request: claim, cancel: false }, SessionFrame)
      const f4 = await pb.read(SessionFrame)
      assert.equal(f4.id, 4)
      assert.equal(f4.response?.errorName, 'UnexpectedSignerError')
      // an id still open (a claim waiting for work) cannot be reused
      const own = createSigner(key, MESH)
      const waiting = await own.sign(Domains.claim, ClaimRequest.encode({ jobId: '', executors: ['noop'], freeSlots: 1, claimNonce: new Uint8Array(16).fill(1), waitMs: 5_000 }), 30_000)
      const again = await own.sign(Domains.claim, ClaimRequest.encode({ jobId: '', executors: ['noop'], freeSlots: 1, claimNonce: new Uint8Array(16).fill(2), waitMs: 0 }), 30_000)
      await pb.write({ id: 10, protocol: Protocols.claim, request: waiting, cancel: false }, SessionFrame)
      await waitFor(() => coord.coordinator?.waitingClaims === 1, 5_000, 'the claim to wait')
      await pb.write({ id: 10, protocol: Protocols.claim, request: again, cancel: false }, SessionFrame)
      const f10 = await pb.read(SessionFrame)
      assert.equal(f10.id, 10)
      assert.equal(f10.response?.errorName, 'MalformedMessageError')
      assert.match(f10.response?.errorMessage ?? '', /already open/)
      assert.equal(coord.coordinator?.waitingClaims, 1, 'the waiting claim is untouched')
    })

    it('a waiting claim that is cancelled is answered, and a garbage frame ends the session with a penalty', async () => {
      const pb = await open()
      const own = createSigner(key, MESH)
      const claim = await own.sign(Domains.claim, ClaimRequest.encode({ jobId: '', executors: ['noop'], freeSlots: 1, claimNonce: new Uint8Array(16), waitMs: 5_000 }), 30_000)
      await pb.write({ id: 7, protocol: Protocols.claim, request: claim, cancel: false }, SessionFrame)
      const svc = coord.coordinator
      assert.ok(svc != null)
      await waitFor(() => svc.waitingClaims === 1, 5_000, 'the claim to wait')
      await pb.write({ id: 7, protocol: '', cancel: true }, SessionFrame)
      const f = await pb.read(SessionFrame)
      assert.equal(f.id, 7)
      // answered "no work" (nothing was queued) rather than left to its 5-s wait
      assert.equal(f.response?.errorName, '')
      assert.equal(ClaimResponse.decode(f.response?.body ?? new Uint8Array()).status, ClaimResponse.Status.NO_WORK)
      assert.equal(svc.waitingClaims, 0)
      const guard = coord.libp2p.services.rpcGuard
      const before = guard.points(attacker.peerId)
      raw.send(Uint8Array.of(0x05, 0xff, 0xff, 0xff, 0xff, 0xff))
      await waitFor(() => guard.points(attacker.peerId) > before, 5_000, 'the garbage frame to be charged')
    })
  })
})
