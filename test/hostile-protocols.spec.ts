// Hostile input, stream protocols: live nodes (a coordinator and workers on loopback, real libp2p)
// keep completing every honest job while an attacker sends garbage, truncated, oversized,
// half-closed and validly-signed-but-wrong frames on every protocol each victim serves; streams
// never finished are cut at the timeout; frames up to the configured limits still pass.
// Bounds and replay (FUZZ_RUNS, FUZZ_SEED): test/hostile/fuzz.ts.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p } from '@libp2p/interface'
import { Fixture, waitFor, MESH } from './helpers.js'
import { createSigner } from '../src/wire/signed.js'
import { Protocols } from '../src/wire/domains.js'
import { OPS_PROTOCOL } from '../src/ops/ops-service.js'
import { DEFAULT_LIMITS, type LimitsInput } from '../src/rpc/limits.js'
import type { EdgecoderNode } from '../src/node/create-node.js'
import { FUZZ_RUNS, concat, fcOpts, varint } from './hostile/fuzz.js'
import { frameCase, protocolClass, type Signers } from './hostile/frames.js'
import { sendFrame, type Outcome } from './hostile/send.js'
import { assertAnswers, attackerNode, guardOf, openRpcStreams } from './hostile/nodes.js'

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
