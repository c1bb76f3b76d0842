// Hostile input, penalties and gossip: the gossip validators reject garbage without throwing;
// refusals and penalty points are counted in libp2p metrics; limits are validated; a peer sending
// invalid frames is banned (streams refused, connection closed, gossip score graylisted); a peer
// publishing invalid gossip is graylisted and its later messages dropped unread.
// Bounds and replay (FUZZ_RUNS, FUZZ_SEED): test/hostile/fuzz.ts.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TopicValidatorResult, type Message as GossipMessage } from '@libp2p/gossipsub'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { CounterGroup, Libp2p, Metrics, PrivateKey } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { Fixture, waitFor, MESH, trustedAdmin } from './helpers.js'
import type { MeshServices } from '../src/mesh/create-libp2p.js'
import { createSigner, type Signer } from '../src/wire/signed.js'
import { Domains, Protocols, checkpointsTopic, jobsTopic } from '../src/wire/domains.js'
import { SignedEnvelope } from '../src/wire/pb/envelope.js'
import { JobAnnouncement } from '../src/wire/pb/jobs.js'
import { CheckpointAnnouncement } from '../src/wire/pb/ledger.js'
import { announcementValidator } from '../src/jobs/announcement-validator.js'
import { checkpointValidator } from '../src/ledger/ledger-service.js'
import { resolveLimits, DEFAULT_LIMITS, type LimitsInput } from '../src/rpc/limits.js'
import { PeerGuard } from '../src/rpc/peer-guard.js'
import { FUZZ_RUNS, SEED, fcOpts, lp, mutated } from './hostile/fuzz.js'
import { sendCase, type Outcome } from './hostile/send.js'
import { attackerNode, gossipGraylist, gossipScore, guardOf } from './hostile/nodes.js'

describe('hostile input: decoders', function () {
  this.timeout(120_000)
  const runs = Math.max(200, Math.floor(FUZZ_RUNS / 3))
  let signerKey: PrivateKey

  before(async () => {
    signerKey = await generateKeyPair('Ed25519')
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
})
