// Authority in the mesh: only coordinators granted by the mesh's admin keys get claims, jobs,
// submits or replicated ledger entries from honest nodes. Each refusal has a positive control: the
// same route works for a granted coordinator in the same run, so no check passes by silence.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { Fixture, waitFor, MESH } from './helpers.js'
import type { EdgecoderNode } from '../src/node/create-node.js'
import { signAdminAction, signAuthorityAction, type AuthorityActionInput } from '../src/admission/admin-actions.js'
import { coordinatorsCid } from '../src/jobs/coordinators-cid.js'
import { createSigner, concat, ownBytes, SIG_PREFIX } from '../src/wire/signed.js'
import { Domains, Protocols, jobsTopic, checkpointsTopic } from '../src/wire/domains.js'
import { CheckpointAnnouncement } from '../src/wire/pb/ledger.js'
import { formatCheckpoint, signNote } from '../src/ledger/merkle/checkpoint.js'
import { logOrigin } from '../src/ledger/coordinator-ledger.js'
import { SignedEnvelope, SignedPayload } from '../src/wire/pb/envelope.js'
import { AuthorityAction } from '../src/wire/pb/admission.js'
import { JobAnnouncement } from '../src/wire/pb/jobs.js'

/** A grant signed by `key` as if an hour ago (a thief of a removed key would try this). */
async function backdatedGrant (key: PrivateKey, target: string, issuedAt: number): Promise<SignedEnvelope> {
  const payload = SignedPayload.encode({
    domain: Domains.authority,
    meshId: MESH,
    signer: peerIdFromPrivateKey(key).toMultihash().bytes,
    issuedAtMs: BigInt(issuedAt),
    expiresAtMs: BigInt(Date.now() + 3_600_000),
    nonce: new Uint8Array(16).fill(5),
    body: AuthorityAction.encode({ kind: 'coordinator-grant', target, label: '', expiresAtMs: 0n, reason: '' })
  })
  return { payload, signature: ownBytes(await key.sign(concat(SIG_PREFIX, payload))) }
}

async function rejectsNamed (p: Promise<unknown>, name: string): Promise<Error> {
  let caught: Error | undefined
  await assert.rejects(p, (e: Error) => { assert.equal(e.name, name, e.message); caught = e; return true })
  return caught as Error
}

describe('authority: only granted coordinators give work, take jobs or keep a ledger', function () {
  this.timeout(120_000)
  const fx = new Fixture()
  afterEach(async () => { await fx.cleanup() })

  async function act (admin: EdgecoderNode, key: PrivateKey, input: AuthorityActionInput): Promise<void> {
    await admin.admission.submitAction(await signAuthorityAction(key, MESH, input))
  }

  /** Who ran what: every work:assigned a worker saw, by coordinator. */
  function assignments (w: EdgecoderNode): Map<string, string[]> {
    const seen = new Map<string, string[]>()
    w.events.on('work:assigned', d => { seen.set(d.coordinator, [...(seen.get(d.coordinator) ?? []), d.jobId]) })
    return seen
  }

  it('a rogue coordinator and an enrolled worker get no claim, job, submit or replica entry by any route; a granted second coordinator does', async () => {
    const adminKey = await generateKeyPair('Ed25519')
    // c1 creates the mesh: its key is the admin key and it grants itself
    const c1 = await fx.coordinator({ privateKey: adminKey, checkpointEvery: 1, checkpointIntervalMs: 200 })
    assert.equal(c1.coordinator?.isGranted, true)
    // c2 joins with the bootstrap file: not an admin, no grant, no work until granted
    const c2 = await fx.coordinator({ bootstrap: c1.bootstrapConfig(), checkpointEvery: 1, checkpointIntervalMs: 200 })
    assert.deepEqual(c1.bootstrapConfig().adminKeys, [c1.peerId.toString()])
    assert.deepEqual(c2.bootstrapConfig().adminKeys, [c1.peerId.toString()], 'a joiner writes the mesh\'s admin keys, not its own')
    assert.equal(c2.coordinator?.isGranted, false)
    // the unenrolled stranger: a coordinator of a mesh of its own making (same mesh id, self-granted)
    const rogue = await fx.coordinator({ bootstrap: { meshId: MESH, peers: c1.multiaddrs() }, checkpointEvery: 1, checkpointIntervalMs: 200 })
    assert.equal(rogue.coordinator?.isGranted, true, 'in its own eyes')
    const peers = [...c1.multiaddrs(), ...c2.multiaddrs(), ...rogue.multiaddrs()]
    const w = await fx.node({ role: 'worker', bootstrap: { ...c1.bootstrapConfig(), peers } })
    const ran = assignments(w)
    // the enrolled attacker: a worker in good standing (open admission) that offers no executor itself
    const evilKey = await generateKeyPair('Ed25519')
    const evil = await fx.node({ role: 'worker', privateKey: evilKey, offer: [], bootstrap: { ...c1.bootstrapConfig(), peers } })
    // an admitted application user (enrolled at c1, approved by the admin key: admitted mesh-wide)
    const client = await fx.client(c1, { bootstrap: { ...c1.bootstrapConfig(), peers } })
    await waitFor(() => w.worker?.coordinators.has(c1.peerId.toString()) === true, 15_000, 'worker to serve c1')

    // (b) the claim protocol, advertised over identify by the enrolled attacker
    let evilClaims = 0
    await evil.libp2p.handle(Protocols.claim, stream => { evilClaims++; stream.abort(new Error('no')) })
    // (c) the coordinators record in the DHT, provided by both attackers (rogue provides it itself)
    await evil.libp2p.contentRouting.provide(await coordinatorsCid(MESH), { signal: AbortSignal.timeout(5_000) }).catch(() => {})
    // (a) announcements: rogue announces its own queued job; evil publishes one signed with its key
    const rogueJob = await rogue.jobs.submit({ executor: 'noop', input: 'do my unpaid work' })
    const forged = await createSigner(evilKey, MESH).sign(Domains.announce, JobAnnouncement.encode({ jobId: 'ab'.repeat(32), executor: 'noop', offeredPrice: 1n, attempt: 1, round: 0, bidderFractionPpm: 1_000_000, queueDepth: 1 }), 60_000)
    await waitFor(() => evil.libp2p.services.pubsub.getSubscribers(jobsTopic(MESH)).length > 0, 15_000, 'evil on the jobs topic')
    await evil.libp2p.services.pubsub.publish(jobsTopic(MESH), SignedEnvelope.encode(forged)).catch(() => {})
    // (e) submits: to the rogue, to evil, to c2 before its grant: all refused, saying why
    await rejectsNamed(client.jobs.submit({ executor: 'noop', input: 'x' }, { coordinator: rogue.peerId.toString() }), 'NotGrantedCoordinatorError')
    await rejectsNamed(client.jobs.submit({ executor: 'noop', input: 'x' }, { coordinator: evil.peerId.toString() }), 'NotGrantedCoordinatorError')
    const joiner = await rejectsNamed(c2.jobs.submit({ executor: 'noop', input: 'x' }), 'NotGrantedCoordinatorError')
    assert.ok(joiner.message.includes(`admin coordinator add ${c2.peerId.toString()}`), 'the joiner says how it gets a grant')
    // without --coordinator a client finds only the granted one
    const viaMesh = await client.jobs.submit({ executor: 'noop', input: 'to whoever is granted' })
    assert.equal((await client.jobs.wait(viaMesh, { signal: AbortSignal.timeout(20_000) })).coordinator, c1.peerId.toString())
    assert.deepEqual((await client.jobs.findCoordinators()).map(p => p.toString()), [c1.peerId.toString()])

    // positive control for every route: c2 granted by the admin key works like c1
    await act(c1, adminKey, { kind: 'coordinator-grant', target: c2.peerId.toString(), label: 'second' })
    await waitFor(() => c2.coordinator?.isGranted === true && w.worker?.coordinators.has(c2.peerId.toString()) === true && client.admission.state.authority.isGranted(c2.peerId.toString()), 5_000, 'c2 granted everywhere (coordinator, worker, client) within 5 s')
    const viaC2 = await client.jobs.submit({ executor: 'noop', input: 'to c2' }, { coordinator: c2.peerId.toString() })
    const done = await client.jobs.wait(viaC2, { signal: AbortSignal.timeout(20_000) })
    assert.equal(done.state, 'succeeded')
    assert.equal(done.attempts[0].worker, w.peerId.toString())
    // the worker's replica follows c2's log up to a checkpoint covering its receipt (d's control)
    await waitFor(() => (w.replica?.list().find(l => l.log === c2.peerId.toString())?.verifiedSize ?? 0) > 0, 15_000, 'replica of c2 verified')
    // c1's peer guard charged evil, the direct publisher of the forged announcement (it did arrive)
    await waitFor(() => c1.libp2p.services.rpcGuard.points(evil.peerId) > 0, 10_000, 'the forged announcement charged to its author')

    // (d) a checkpoint of a log of evil's own, signed with its key, published by it: ignored, charged
    const charged = c1.libp2p.services.rpcGuard.points(evil.peerId)
    const origin = logOrigin(MESH, evil.peerId.toString())
    const note = await signNote(formatCheckpoint({ origin, size: 3, rootHash: new Uint8Array(32).fill(7) }), origin, evilKey)
    await evil.libp2p.services.pubsub.publish(checkpointsTopic(MESH), CheckpointAnnouncement.encode({ note })).catch(() => {})
    await waitFor(() => c1.libp2p.services.rpcGuard.points(evil.peerId) > charged + 10, 10_000, 'the stranger\'s checkpoint charged to its author')
    assert.equal(w.replica?.has(evil.peerId.toString()), false)

    // and after all that: nothing for either attacker
    assert.deepEqual([...ran.keys()].sort(), [c1.peerId.toString(), c2.peerId.toString()].sort())
    assert.equal(evilClaims, 0, 'no claim reached the peer that merely offers the claim protocol')
    assert.equal(w.worker?.coordinators.has(rogue.peerId.toString()), false)
    assert.equal(w.worker?.coordinators.has(evil.peerId.toString()), false)
    assert.equal((await rogue.jobs.status(rogueJob)).state, 'queued', 'nobody ran the rogue\'s job')
    assert.equal(w.replica?.has(rogue.peerId.toString()), false, 'no replica of a stranger\'s log')
    // asked to follow the stranger's log outright, a replica refuses; the granted one it follows
    w.ledgerService.track(rogue.peerId.toString())
    assert.equal(w.ledgerService.tracked.has(rogue.peerId.toString()), false)
    assert.equal(w.ledgerService.tracked.has(c2.peerId.toString()), true)
    assert.equal(client.replica?.has(rogue.peerId.toString()), false)
    assert.ok(rogue.ledger != null && rogue.ledger.checkpointSize > 0, 'the rogue did publish checkpoints of its log')
    await rejectsNamed(client.ledgerService.checkOutsideCheckpoint(await rogue.ledger.latestCheckpoint(), AbortSignal.timeout(5_000)), 'NotGrantedCoordinatorError')
    // status says whom a node accepts, and why
    const st = await w.ops.status() as { authority: { coordinators: Array<{ peerId: string, state: string }> } }
    assert.deepEqual(st.authority.coordinators.filter(c => c.state === 'granted').map(c => c.peerId).sort(), [c1.peerId.toString(), c2.peerId.toString()].sort())
  })

  it('a grant removed mid-run, or lapsed, stops the coordinator\'s work on every connected node within 5 s', async () => {
    const adminKey = await generateKeyPair('Ed25519')
    const c1 = await fx.coordinator({ privateKey: adminKey })
    const c2 = await fx.coordinator({ bootstrap: c1.bootstrapConfig() })
    const peers = [...c1.multiaddrs(), ...c2.multiaddrs()]
    const w = await fx.node({ role: 'worker', bootstrap: { ...c1.bootstrapConfig(), peers } })
    const client = await fx.client(c1, { bootstrap: { ...c1.bootstrapConfig(), peers } })
    await act(c1, adminKey, { kind: 'coordinator-grant', target: c2.peerId.toString() })
    await waitFor(() => w.worker?.coordinators.has(c2.peerId.toString()) === true && c2.coordinator?.isGranted === true && client.admission.state.authority.isGranted(c2.peerId.toString()), 5_000, 'c2 granted')
    const long = await client.jobs.submit({ executor: 'noop', input: 'slow', delayMs: 30_000, maxAttempts: 1 }, { coordinator: c2.peerId.toString() })
    await waitFor(() => w.worker?.runningJobs.includes(long) === true, 15_000, 'the long job running on w')
    const aborted = new Promise<string>(resolve => { w.events.on('work:aborted', d => { if (d.jobId === long) resolve(d.reason) }) })

    const t0 = Date.now()
    await act(c1, adminKey, { kind: 'coordinator-remove', target: c2.peerId.toString(), reason: 'retired' })
    assert.match(await aborted, /grant removed/)
    await waitFor(() => c2.coordinator?.isGranted === false && w.worker?.coordinators.has(c2.peerId.toString()) === false, 5_000, 'removal everywhere')
    assert.ok(Date.now() - t0 < 5_000, `stopped in ${Date.now() - t0} ms`)
    await rejectsNamed(client.jobs.submit({ executor: 'noop', input: 'x' }, { coordinator: c2.peerId.toString() }), 'NotGrantedCoordinatorError')
    await rejectsNamed(c2.jobs.submit({ executor: 'noop', input: 'x' }), 'NotGrantedCoordinatorError')
    const st = await client.jobs.status(long)
    assert.match(st.reason, /coordinator revoked/)
    // c1 keeps working
    const id = await client.jobs.submit({ executor: 'noop', input: 'still here' })
    assert.equal((await client.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')

    // a grant with an end lapses by itself, without anyone asking
    await act(c1, adminKey, { kind: 'coordinator-grant', target: c2.peerId.toString(), expiresAtMs: Date.now() + 2_500 })
    await waitFor(() => w.worker?.coordinators.has(c2.peerId.toString()) === true, 5_000, 'c2 granted again')
    await waitFor(() => w.worker?.coordinators.has(c2.peerId.toString()) === false && c2.coordinator?.isGranted === false, 8_000, 'the grant to lapse everywhere')
    assert.equal(c1.admission.state.authority.coordinators().find(c => c.peerId === c2.peerId.toString())?.state, 'expired')
  })

  it('admin keys rotate: a new key grants, the old one cannot, the last key cannot be removed, and a non-admin signs nothing', async () => {
    const k1 = await generateKeyPair('Ed25519')
    const k2 = await generateKeyPair('Ed25519')
    const c1 = await fx.coordinator({ privateKey: k1 })
    const c2 = await fx.coordinator({ bootstrap: c1.bootstrapConfig() })
    const p2 = peerIdFromPrivateKey(k2).toString()
    // a key that is not an admin key: refused, not applied, nothing recorded
    await rejectsNamed(c1.admission.submitAction(await signAuthorityAction(k2, MESH, { kind: 'coordinator-grant', target: c2.peerId.toString() })), 'UnauthorizedAdminError')
    assert.equal(c2.coordinator?.isGranted, false)
    await rejectsNamed(act(c1, k1, { kind: 'admin-remove', target: c1.peerId.toString() }), 'InvalidArgumentError')
    await act(c1, k1, { kind: 'admin-add', target: p2 })
    await act(c1, k2, { kind: 'admin-remove', target: c1.peerId.toString(), reason: 'rotated' })
    await waitFor(() => c2.admission.state.adminKeys.join() === p2, 5_000, 'rotation at c2')
    assert.deepEqual(c1.admission.state.adminKeys, [p2])
    // a removed key's grants end with it (a stolen key's grants must): c1 held its grant from k1
    assert.equal(c1.coordinator?.isGranted, false)
    assert.match(c1.admission.state.authority.standing(c1.peerId.toString()).why, /no longer\) an admin key/)
    // the old key signs nothing more, not even backdated to before its removal
    await rejectsNamed(c1.admission.submitAction(await signAuthorityAction(k1, MESH, { kind: 'coordinator-grant', target: c2.peerId.toString() })), 'UnauthorizedAdminError')
    await rejectsNamed(c1.admission.submitAction(await backdatedGrant(k1, c2.peerId.toString(), Date.now() - 3_600_000)), 'UnauthorizedAdminError')
    // the new key grants (and grants again what the old one had granted)
    await act(c1, k2, { kind: 'coordinator-grant', target: c2.peerId.toString() })
    await act(c1, k2, { kind: 'coordinator-grant', target: c1.peerId.toString() })
    await waitFor(() => c2.coordinator?.isGranted === true && c1.coordinator?.isGranted === true, 5_000, 'both granted by the new key')
    // a worker that joins later with the new bootstrap config syncs it all and serves both
    const w = await fx.node({ role: 'worker', bootstrap: { ...c2.bootstrapConfig(), peers: [...c1.multiaddrs(), ...c2.multiaddrs()] } })
    await waitFor(() => w.worker?.coordinators.size === 2, 10_000, 'late worker serves both')
    const v = await c2.admission.state.verifyAudit()
    assert.equal(v.ok, true, v.problem)
  })

  it('a node that pins only the new admin key reads past a long log of the old key\'s actions to the grants that count', async () => {
    const k1 = await generateKeyPair('Ed25519')
    const k2 = await generateKeyPair('Ed25519')
    const c1 = await fx.coordinator({ privateKey: k1 })
    // more than five sync pages of the old key's approvals before the rotation
    for (let i = 0; i < 1_100; i++) {
      const target = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
      await c1.admission.state.applyAction(await signAdminAction(k1, MESH, { kind: 'APPROVE', target }))
    }
    await act(c1, k1, { kind: 'admin-add', target: peerIdFromPrivateKey(k2).toString() })
    await act(c1, k2, { kind: 'coordinator-grant', target: c1.peerId.toString(), label: 're-granted' })
    await act(c1, k2, { kind: 'admin-remove', target: c1.peerId.toString(), reason: 'rotated' })
    assert.equal(c1.coordinator?.isGranted, true)
    const w = await fx.node({ role: 'worker', bootstrap: { meshId: MESH, peers: c1.multiaddrs().map(String), adminKeys: [peerIdFromPrivateKey(k2).toString()] } })
    // in one sync (well within the 30-s re-sync, which would also get there, page by page)
    const t0 = Date.now()
    await waitFor(() => w.worker?.coordinators.has(c1.peerId.toString()) === true, 10_000, 'the worker to learn c1\'s grant by the new key')
    assert.ok(Date.now() - t0 < 10_000)
  })
})
