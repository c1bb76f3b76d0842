// A worker says where it stands at each granted coordinator, and admission is mesh-wide: one
// approval by an admin key admits it at every granted coordinator, without a second enrollment.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Fixture, waitFor, MESH } from './helpers.js'
import { signAdminAction } from '../src/admission/admin-actions.js'

describe('enrollment: where a worker stands, mesh-wide admission', function () {
  this.timeout(120_000)
  const fx = new Fixture()
  afterEach(async () => { await fx.cleanup() })

  it('a pending worker says so at each coordinator and is not ready; one approval admits it at both, and the second gives it work', async () => {
    const adminKey = await generateKeyPair('Ed25519')
    const c1 = await fx.coordinator({ privateKey: adminKey, admission: { mode: 'token' } })
    const c2 = await fx.coordinator({ admission: { mode: 'token' }, bootstrap: c1.bootstrapConfig() })
    await fx.grant(c1, c2)
    const { token } = await c1.admission.state.tokens.create({ label: 'lab' })
    const peers = [...c1.multiaddrs(), ...c2.multiaddrs()].map(String)
    const w = await fx.node({ role: 'worker', token, bootstrap: { ...c1.bootstrapConfig(), peers } })
    const events: string[] = []
    w.events.on('admission:status', d => { events.push(`${d.coordinator === c1.peerId.toString() ? 'c1' : 'c2'} ${d.status}`) })
    const me = w.peerId.toString()

    // pending at the coordinator that issued the token; not known yet at the other
    await waitFor(() => w.admission.standing()[c1.peerId.toString()]?.status === 'pending' && w.admission.standing()[c2.peerId.toString()]?.status === 'pending', 10_000, 'pending at both')
    const st = await w.ops.status() as { enrollment: Record<string, { status: string, reason: string }> }
    assert.equal(st.enrollment[c1.peerId.toString()].reason, 'awaiting approval')
    assert.match(st.enrollment[c2.peerId.toString()].reason, /waiting for the mesh's approval/)
    const ready = await w.ops.ready()
    assert.equal(ready.ready, false)
    assert.ok(ready.reasons.some(r => r.startsWith('not admitted by any coordinator')), ready.reasons.join('; '))
    // the coordinator lists it for review (admin state / nodes list --pending)
    assert.deepEqual(c1.admission.state.nodes('pending').map(n => n.peerId), [me])

    // one approval, signed by the admin key at c1: c2 holds it too and says so, with no second enrollment
    await c1.admission.submitAction(await signAdminAction(adminKey, MESH, { kind: 'APPROVE', target: me }))
    await waitFor(() => Object.values(w.admission.standing()).filter(e => e.status === 'active').length === 2, 10_000, 'active at both coordinators')
    assert.equal(c2.admission.state.node(me)?.status, 'active')
    assert.equal(c2.admission.state.node(me)?.tokenId, '', 'c2 never saw the token: the approval admitted it')
    assert.equal((await w.ops.ready()).ready, true)
    assert.ok(events.includes('c1 pending') && events.includes('c1 active') && events.includes('c2 active'), events.join(', '))

    const id = await c2.jobs.submit({ executor: 'noop', input: 'from the second coordinator' })
    const done = await c2.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })
    assert.equal(done.state, 'succeeded')
    assert.equal(done.attempts[0].worker, me)
  })

  it('a worker with no token says how to enroll, and is not ready', async () => {
    const c1 = await fx.coordinator({ admission: { mode: 'token' } })
    const w = await fx.node({ role: 'worker', bootstrap: c1.bootstrapConfig() })
    await waitFor(() => w.admission.standing()[c1.peerId.toString()] != null, 10_000, 'the standing at c1')
    assert.match(w.admission.standing()[c1.peerId.toString()].reason, /start with a registration token/)
    assert.ok((await w.ops.ready()).reasons.some(r => r.startsWith('not admitted by any coordinator')))
    // positive control: in open admission the same worker is active at once and ready
    const open = await fx.coordinator({ admission: { mode: 'open' } })
    const w2 = await fx.node({ role: 'worker', bootstrap: open.bootstrapConfig() })
    await waitFor(() => w2.admission.standing()[open.peerId.toString()]?.status === 'active', 10_000, 'active at the open coordinator')
    await waitFor(async () => (await w2.ops.ready()).ready, 10_000, 'ready')
  })
})
