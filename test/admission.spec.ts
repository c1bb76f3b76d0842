// Admission and authority on live nodes: tokens, approval, blacklist, signed admin actions that
// propagate to every coordinator, the audit chain, and the replays and forgeries they refuse.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TopicValidatorResult, type Message as GossipMessage } from '@libp2p/gossipsub'
import { Fixture, waitFor, MESH } from './helpers.js'
import type { EdgecoderNode } from '../src/node/create-node.js'
import { signAdminAction } from '../src/admission/admin-actions.js'
import { announcementValidator } from '../src/jobs/announcement-validator.js'
import { createSigner } from '../src/wire/signed.js'
import { Domains, Protocols } from '../src/wire/domains.js'
import { SignedEnvelope, SignedPayload } from '../src/wire/pb/envelope.js'
import { EnrollRequest, EnrollResponse } from '../src/wire/pb/admission.js'
import { JobAnnouncement } from '../src/wire/pb/jobs.js'
import { rpcCall } from '../src/rpc/reqresp.js'
import { coordinatorTag } from '../src/admission/tokens.js'

async function rejectsNamed (p: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(p, (e: Error) => { assert.equal(e.name, name, e.message); return true })
}

describe('admission: tokens, approval, blacklist, signed admin authority', function () {
  this.timeout(120_000)
  const fx = new Fixture()
  afterEach(async () => { await fx.cleanup() })

  async function tokenCoordinator (): Promise<{ coord: EdgecoderNode, key: Awaited<ReturnType<typeof generateKeyPair>> }> {
    const key = await generateKeyPair('Ed25519')
    const coord = await fx.coordinator({ privateKey: key, admission: { mode: 'token' } })
    return { coord, key }
  }

  function worker (coord: EdgecoderNode, token?: string, key?: Awaited<ReturnType<typeof generateKeyPair>>): Promise<EdgecoderNode> {
    return fx.node({ role: 'worker', token, privateKey: key, bootstrap: coord.bootstrapConfig() })
  }

  it('a worker without a valid token gets no work; an enrolled one waits for approval, then runs jobs', async () => {
    const { coord, key } = await tokenCoordinator()
    const stranger = await worker(coord)
    const forger = await worker(coord, `ect_${coordinatorTag(coord.peerId.toString())}_${'A'.repeat(43)}`)
    await waitFor(() => forger.admission.statusAt.get(coord.peerId.toString())?.status === EnrollResponse.Status.REJECTED, 10_000, 'bad token refused')
    assert.match(forger.admission.statusAt.get(coord.peerId.toString())?.reason ?? '', /InvalidTokenError: unknown registration token/)

    const id = await coord.jobs.submit({ executor: 'noop', input: 'admitted only' })
    // neither the stranger nor the forger may claim it
    await assert.equal(await stranger.worker?.claimFrom(coord.peerId), false)
    await assert.equal(await forger.worker?.claimFrom(coord.peerId), false)
    assert.equal((await coord.jobs.status(id)).state, 'queued')

    const { token } = await coord.admission.state.tokens.create({ label: 'lab-1' })
    const good = await worker(coord, token)
    await waitFor(() => coord.admission.state.nodes('pending').some(n => n.peerId === good.peerId.toString()), 10_000, 'pending enrollment')
    // the coordinator records the enrollment before its answer reaches the worker
    await waitFor(() => good.admission.statusAt.get(coord.peerId.toString())?.status === EnrollResponse.Status.PENDING, 10_000, 'the worker to learn it is pending')
    assert.equal(await good.worker?.claimFrom(coord.peerId), false, 'pending nodes get no work')
    assert.equal((await coord.jobs.status(id)).state, 'queued')

    // approval is a signed admin action; the approved worker picks the job up without an announcement
    const { record } = await coord.admission.submitAction(await signAdminAction(key, MESH, { kind: 'APPROVE', target: good.peerId.toString(), reason: 'checked the host' }))
    assert.equal(record.effect, 'applied')
    const done = await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })
    assert.equal(done.state, 'succeeded')
    assert.equal(done.attempts.at(-1)?.worker, good.peerId.toString())
    await waitFor(() => good.admission.statusAt.get(coord.peerId.toString())?.status === EnrollResponse.Status.ACTIVE, 10_000, 'worker learns it is active')
  })

  it('tokens are single-use, expire and revoke; a stolen token cannot take over an enrolled node; rotation keeps identity and status', async () => {
    const { coord } = await tokenCoordinator()
    const state = coord.admission.state
    const { token } = await state.tokens.create({ autoApprove: true })
    const wKey = await generateKeyPair('Ed25519')
    let w = await worker(coord, token, wKey)
    await waitFor(() => state.node(w.peerId.toString())?.status === 'active', 10_000, 'auto-approved')
    const first = state.node(w.peerId.toString())

    // the same token in another peer's hands: used up, and the enrolled node is untouched
    const thief = await worker(coord, token)
    await waitFor(() => thief.admission.statusAt.get(coord.peerId.toString())?.status === EnrollResponse.Status.REJECTED, 10_000, 'thief refused')
    assert.match(thief.admission.statusAt.get(coord.peerId.toString())?.reason ?? '', /used up/)
    assert.equal(state.node(thief.peerId.toString()), undefined)
    assert.deepEqual(state.node(w.peerId.toString()), first)

    // expired and revoked tokens
    const shortLived = await state.tokens.create({ ttlMs: 1 })
    await new Promise(resolve => setTimeout(resolve, 5))
    await rejectsNamed(state.enroll('12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN', { token: shortLived.token, label: '', executors: [] }), 'InvalidTokenError')
    const revoked = await state.tokens.create({ maxUses: 5 })
    await state.tokens.revoke(revoked.record.id)
    await rejectsNamed(state.enroll('12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN', { token: revoked.token, label: '', executors: [] }), 'InvalidTokenError')

    // a token goes only to the coordinator that issued it, and no other coordinator accepts it
    const other = await fx.coordinator({ admission: { mode: 'token' }, bootstrap: coord.bootstrapConfig() })
    // what the other coordinator is told when a node enrolls with it, and by whom
    const told: Array<{ peer: string, token: string }> = []
    const enroll = other.admission.state.enroll.bind(other.admission.state)
    other.admission.state.enroll = async (peer, req, now) => { told.push({ peer, token: req.token }); return await enroll(peer, req, now) }
    await fx.grant(coord, other)
    const elsewhere = await other.admission.state.tokens.create({ autoApprove: true })
    await rejectsNamed(state.enroll(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString(), { token: elsewhere.token, label: '', executors: [] }), 'InvalidTokenError')
    // workers only query the DHT, so they find a coordinator that joins later on their next
    // discovery round (a minute); meet it now
    await w.libp2p.dial(other.multiaddrs()[0], { signal: AbortSignal.timeout(10_000) })
    await waitFor(() => w.worker?.coordinators.has(other.peerId.toString()) === true, 15_000, 'worker meets the other coordinator')
    // the positive control: the worker does ask the other coordinator where it stands, the very
    // request that would carry its token; and it carries none
    await waitFor(() => told.some(t => t.peer === w.peerId.toString()), 10_000, 'the worker to ask the other coordinator for its standing')
    assert.deepEqual(told.filter(t => t.peer === w.peerId.toString()).map(t => t.token).filter(t => t !== ''), [], 'the worker sent its token to a coordinator that did not issue it')
    // (approvals reach it, as admin actions: records without a token)
    assert.deepEqual(other.admission.state.nodes().filter(n => n.tokenId !== ''), [], 'the other coordinator never saw the worker\'s token')

    // rotation: same key, new token, restart; still active, same peer id, token recorded
    const second = await state.tokens.create({ label: 'rotated' })
    await w.stop()
    w = await worker(coord, second.token, wKey)
    await waitFor(() => state.node(w.peerId.toString())?.tokenId === second.record.id, 10_000, 'rotation recorded')
    assert.equal(state.node(w.peerId.toString())?.status, 'active')
    assert.equal(state.node(w.peerId.toString())?.enrolledAt, first?.enrolledAt)
    const id = await coord.jobs.submit({ executor: 'noop', input: 'after rotation' })
    assert.equal((await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
  })

  it('admin actions: only admin keys, never twice, never expired, cross-mesh or re-purposed; enrollments cannot be replayed', async () => {
    const { coord, key } = await tokenCoordinator()
    const target = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const outsider = await generateKeyPair('Ed25519')
    await rejectsNamed(coord.admission.submitAction(await signAdminAction(outsider, MESH, { kind: 'BLACKLIST_ADD', target, reason: 'x' })), 'UnauthorizedAdminError')
    const ok = await signAdminAction(key, MESH, { kind: 'BLACKLIST_ADD', target, reason: 'spam' })
    await coord.admission.submitAction(ok)
    await rejectsNamed(coord.admission.submitAction(ok), 'DuplicateActionError')
    await rejectsNamed(coord.admission.submitAction(await signAdminAction(key, 'another-mesh', { kind: 'APPROVE', target })), 'WrongMeshError')
    // a signature made for a claim is useless as an admin action
    const claim = await createSigner(key, MESH).sign(Domains.claim, new Uint8Array([1, 2, 3]), 30_000)
    await rejectsNamed(coord.admission.submitAction(claim), 'WrongDomainError')
    const expired = await createSigner(key, MESH).sign(Domains.adminAction, new Uint8Array(), -1)
    await rejectsNamed(coord.admission.submitAction(expired), 'MessageExpiredError')
    // tampered: one byte of the signed payload changed
    const tampered = { payload: Uint8Array.from(ok.payload), signature: ok.signature }
    const p = SignedPayload.decode(tampered.payload)
    tampered.payload = SignedPayload.encode({ ...p, issuedAtMs: p.issuedAtMs + 1n })
    await rejectsNamed(coord.admission.submitAction(tampered), 'InvalidSignatureError')
    // the coordinator's grant of itself (it created the mesh), then the one valid action
    assert.deepEqual((await coord.admission.state.audit()).map(r => r.kind), ['coordinator-grant', 'BLACKLIST_ADD'], 'only the valid action was recorded')

    // an enrollment request presented twice (captured and replayed) is refused the second time
    const { token } = await coord.admission.state.tokens.create({ maxUses: 3 })
    const w = await fx.node({ role: 'client', bootstrap: coord.bootstrapConfig() })
    await waitFor(() => w.libp2p.getConnections(coord.peerId).length > 0, 10_000, 'connection')
    const dialer = { openStream: async (peer: typeof coord.peerId, proto: string, o: { signal: AbortSignal }) => await w.libp2p.dialProtocol(peer, proto, o) }
    const env = await w.signer.sign(Domains.enroll, EnrollRequest.encode({ token, label: '', executors: [] }), 30_000)
    const res = EnrollResponse.decode(await rpcCall(dialer, coord.peerId, Protocols.enroll, env))
    assert.equal(res.status, EnrollResponse.Status.PENDING)
    await rejectsNamed(rpcCall(dialer, coord.peerId, Protocols.enroll, env), 'ReplayedMessageError')
    // and signed by someone other than the stream's peer: the token cannot be bound to another id
    const other = await createSigner(outsider, MESH).sign(Domains.enroll, EnrollRequest.encode({ token, label: '', executors: [] }), 30_000)
    await rejectsNamed(rpcCall(dialer, coord.peerId, Protocols.enroll, other), 'UnexpectedSignerError')
  })

  it('actions reach every coordinator (gossip, and admin-sync for a late one); the audit chain verifies and catches an edit', async () => {
    const { coord: c1, key } = await tokenCoordinator()
    const admin = peerIdFromPrivateKey(key).toString()
    const c2 = await fx.coordinator({ admission: { mode: 'token' }, adminKeys: [admin], bootstrap: { meshId: MESH, peers: c1.multiaddrs() } })
    await waitFor(() => c2.libp2p.services.pubsub.getSubscribers(`/edgecoder/${MESH}/policy/1.0.0`).some(p => p.equals(c1.peerId)), 15_000, 'policy topic mesh')
    await fx.grant(c1, c2)
    const w = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const bad = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    await c1.admission.submitAction(await signAdminAction(key, MESH, { kind: 'APPROVE', target: w }))
    await c1.admission.submitAction(await signAdminAction(key, MESH, { kind: 'BLACKLIST_ADD', target: bad, reason: 'abuse' }))
    await c1.admission.submitAction(await signAdminAction(key, MESH, { kind: 'POLICY_SET', target: 'allowedExecutors', value: '["noop"]' }))
    await waitFor(() => c2.admission.state.node(w)?.status === 'active' && c2.admission.state.isDenied(bad) && c2.admission.state.policy('allowedExecutors') != null, 15_000, 'actions to reach c2 by gossip')
    // policy applies at once: an executor off the list is refused at submit, on both coordinators
    await rejectsNamed(c2.jobs.submit({ executor: 'wasm', input: 'x' }), 'InvalidJobSpecError')
    // code sources: a wasm module must be on the digest list once there is one
    await c1.admission.submitAction(await signAdminAction(key, MESH, { kind: 'POLICY_SET', target: 'allowedModules', value: JSON.stringify(['ab'.repeat(32)]) }))
    await waitFor(() => c2.admission.state.policy('allowedModules') != null, 15_000, 'module list at c2')
    await c1.admission.submitAction(await signAdminAction(key, MESH, { kind: 'POLICY_SET', target: 'allowedExecutors', value: '["noop","wasm"]' }))
    await waitFor(() => (c2.admission.state.policy('allowedExecutors') as string[]).includes('wasm'), 15_000, 'executor list at c2')
    await assert.rejects(c2.jobs.submit({ executor: 'wasm', module: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), input: 'x' }), (e: Error) => e.name === 'InvalidJobSpecError' && /allowed module list/.test(e.message))
    // a fee change is a POLICY entry in each coordinator's ledger, carrying the signed action
    await c1.admission.submitAction(await signAdminAction(key, MESH, { kind: 'POLICY_SET', target: 'feeBps', value: '1000' }))
    await waitFor(() => c1.ledger?.policy.feeBps === 1000 && c2.ledger?.policy.feeBps === 1000, 15_000, 'fee change in both ledgers')

    // a coordinator that was not there catches up over admin-sync
    const c3 = await fx.coordinator({ admission: { mode: 'token' }, adminKeys: [admin], bootstrap: { meshId: MESH, peers: c1.multiaddrs() } })
    await waitFor(() => c3.admission.state.isDenied(bad) && c3.admission.state.node(w)?.status === 'active', 15_000, 'late coordinator to sync')
    // later actions win everywhere, whatever the order of delivery
    await c1.admission.submitAction(await signAdminAction(key, MESH, { kind: 'BLACKLIST_REMOVE', target: bad }))
    await waitFor(() => !c2.admission.state.isDenied(bad) && !c3.admission.state.isDenied(bad), 15_000, 'removal everywhere')

    for (const c of [c1, c2, c3]) {
      const v = await c.admission.state.verifyAudit()
      assert.equal(v.ok, true, v.problem)
      // six admin actions, c1's grant of itself as the mesh's creator and its grant of c2
      assert.equal(v.count, 7 + 2)
    }
    // edit a stored record by hand: verify names it
    const db = (c2.admission.state as unknown as { db: { audit: { get: (k: string) => Promise<string>, put: (k: string, v: string) => Promise<void> } } }).db
    const rec = JSON.parse(await db.audit.get('000000000001')) as { reason: string, target: string }
    await db.audit.put('000000000001', JSON.stringify({ ...rec, target: w }))
    const broken = await c2.admission.state.verifyAudit()
    assert.equal(broken.ok, false)
    assert.match(broken.problem ?? '', /record 1/)
  })

  it('operator actions (pause, drain) are signed admin actions: audited, and applied by every coordinator holding the key', async () => {
    const { coord: c1, key } = await tokenCoordinator()
    const admin = peerIdFromPrivateKey(key).toString()
    const c2 = await fx.coordinator({ admission: { mode: 'token' }, adminKeys: [admin], bootstrap: { meshId: MESH, peers: c1.multiaddrs() } })
    await waitFor(() => c2.libp2p.services.pubsub.getSubscribers(`/edgecoder/${MESH}/policy/1.0.0`).some(p => p.equals(c1.peerId)), 15_000, 'policy topic mesh')
    const out = await c1.admission.submitAction(await signAdminAction(key, MESH, { kind: 'OPERATOR', target: '', value: JSON.stringify({ kind: 'pause', reason: 'integrity check' }) }))
    assert.equal((out.result as { action?: string } | undefined)?.action, 'pause', 'the operator state recorded it')
    await waitFor(() => c1.ops.state.paused && c2.ops.state.paused, 15_000, 'both coordinators paused')
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    await c1.admission.submitAction(await signAdminAction(key, MESH, { kind: 'OPERATOR', target: peer, value: JSON.stringify({ kind: 'drain', peer }) }))
    await waitFor(() => c2.ops.state.peerState(peer)?.drain != null, 15_000, 'drain reaches c2')
    // the target must be the peer the action is about
    await rejectsNamed(signAdminAction(key, MESH, { kind: 'OPERATOR', target: '', value: JSON.stringify({ kind: 'drain', peer }) }), 'InvalidArgumentError')
    assert.deepEqual((await c2.admission.state.audit()).map(r => r.kind).filter(k => k !== 'coordinator-grant'), ['OPERATOR', 'OPERATOR'])
  })

  it('a coordinator that joins late runs a replayed isolation from its signed issue time and skips one that has ended', async () => {
    const { coord: c1, key } = await tokenCoordinator()
    const admin = peerIdFromPrivateKey(key).toString()
    const ended = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const running = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const isolate = async (peer: string, forMs: number): Promise<void> => {
      await c1.admission.submitAction(await signAdminAction(key, MESH, { kind: 'OPERATOR', target: peer, value: JSON.stringify({ kind: 'isolate', peer, forMs }) }))
    }
    const issued = Date.now()
    await isolate(ended, 300)
    await isolate(running, 60_000)
    await waitFor(() => c1.ops.state.peerState(ended)?.isolate == null, 5_000, 'the short isolation to end at c1')
    const c3 = await fx.coordinator({ admission: { mode: 'token' }, adminKeys: [admin], bootstrap: { meshId: MESH, peers: c1.multiaddrs() } })
    // positive control: admin-sync delivered the actions (in audit order: the ended one came first)
    await waitFor(() => c3.ops.state.peerState(running)?.isolate != null, 15_000, 'the running isolation at c3')
    assert.ok((c3.ops.state.peerState(running)?.isolate?.until ?? 0) <= issued + 60_000 + 2_000, 'it runs from its signed issue time, not from when c3 heard of it')
    assert.equal(c3.ops.state.peerState(ended)?.isolate, undefined, 'an ended isolation is not applied again with a fresh period')
    assert.ok(c3.ops.state.history(50).some(h => h.action === 'isolate-ended' && h.peer === ended))
  })

  it('a blacklisted peer is cut off, cannot reconnect or publish, gets no work; the entry can expire', async () => {
    const { coord, key } = await tokenCoordinator()
    const { token } = await coord.admission.state.tokens.create({ autoApprove: true, maxUses: 2 })
    const w = await worker(coord, token)
    await waitFor(() => coord.admission.state.node(w.peerId.toString())?.status === 'active', 10_000, 'enrolled')
    await coord.admission.submitAction(await signAdminAction(key, MESH, { kind: 'BLACKLIST_ADD', target: w.peerId.toString(), reason: 'tampered results', untilMs: Date.now() + 4_000 }))
    await waitFor(() => coord.libp2p.getConnections(w.peerId).length === 0, 10_000, 'connection closed')
    // the coordinator's gater drops the connection during the upgrade: no stream ever opens
    await assert.rejects(w.libp2p.dialProtocol(coord.peerId, Protocols.claim, { signal: AbortSignal.timeout(5_000) }), 'the coordinator refuses it')
    await waitFor(() => coord.libp2p.getConnections(w.peerId).length === 0, 5_000, 'no connection kept')
    await assert.rejects(coord.libp2p.dial(w.peerId, { signal: AbortSignal.timeout(5_000) }), 'and never dials it')
    assert.throws(() => { coord.admission.state.checkAssignable(w.peerId.toString()) }, (e: Error) => e.name === 'NotAdmittedError')
    // its gossip is rejected even when relayed by someone else
    const ann = await w.signer.sign(Domains.announce, JobAnnouncement.encode({ jobId: 'a'.repeat(64), executor: 'noop', attempt: 0, round: 0, bidderFractionPpm: 1_000_000, offeredPrice: 0n, queueDepth: 1 }), 30_000)
    const msg = { type: 'signed', from: w.peerId, topic: `/edgecoder/${MESH}/jobs/1.0.0`, data: SignedEnvelope.encode(ann), sequenceNumber: 1n, signature: new Uint8Array(64), key: new Uint8Array() } as unknown as GossipMessage
    assert.equal(await announcementValidator(MESH, { admission: coord.admission.state })(coord.peerId, msg), TopicValidatorResult.Ignore)
    assert.equal(await announcementValidator(MESH)(coord.peerId, msg), TopicValidatorResult.Accept, 'the same message from a peer in good standing passes')
    // the entry lapses: the worker comes back and gets work again
    await waitFor(async () => {
      try { await (await w.libp2p.dialProtocol(coord.peerId, Protocols.claim, { signal: AbortSignal.timeout(2_000) })).abort(new Error('probe')); return true } catch { return false }
    }, 15_000, 'reconnect after expiry')
    const id = await coord.jobs.submit({ executor: 'noop', input: 'back' })
    assert.equal((await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
  })
})
