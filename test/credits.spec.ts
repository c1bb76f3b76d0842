// Credits are not free for throwaway keys: only admitted accounts submit (token mode) and only
// approved accounts are granted credits (any mode), once each, within what their token enrolls;
// issuance does not reward an operator paying itself. Real nodes on loopback, real LevelDB.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Fixture, waitFor, MESH } from './helpers.js'
import type { EdgecoderNode } from '../src/node/create-node.js'
import { createSigner, toHex } from '../src/wire/signed.js'
import { buildJobSpec, signJobSpec } from '../src/jobs/job-spec.js'
import { rpcCall } from '../src/rpc/reqresp.js'
import { Protocols } from '../src/wire/domains.js'
import { LedgerEntry } from '../src/wire/pb/ledger.js'
import { EnrollResponse } from '../src/wire/pb/admission.js'
import { DEFAULT_POLICY } from '../src/ledger/policy.js'
import { signAdminAction } from '../src/admission/admin-actions.js'
import { auditLog } from '../src/ledger/log-audit.js'

type Ledger = NonNullable<EdgecoderNode['ledger']>

async function entries (ledger: Ledger): Promise<Array<{ index: number, e: LedgerEntry, bytes: Uint8Array }>> {
  const out = []
  // what is durable: a checkpoint waits for every entry appended so far
  await ledger.checkpoint()
  for (let i = 0; i < ledger.checkpointSize; i++) { const bytes = await ledger.entry(i); out.push({ index: i, e: LedgerEntry.decode(bytes), bytes }) }
  return out
}

/** welcome-grant entries crediting `account` */
async function grantsTo (ledger: Ledger, account: string): Promise<LedgerEntry[]> {
  return (await entries(ledger)).map(x => x.e).filter(e => e.mint?.reason === 'welcome-grant' && e.postings.some(p => p.account === account && p.delta > 0n))
}

/** a noop job signed by `key`, sent over `via`'s connection as the issue's throwaway keys did */
async function submitAs (via: EdgecoderNode, coord: EdgecoderNode, key: Awaited<ReturnType<typeof generateKeyPair>>, input: string): Promise<string> {
  const env = await signJobSpec(createSigner(key, MESH), buildJobSpec({ executor: 'noop', input }))
  const dialer = { openStream: async (p: typeof coord.peerId, proto: string, o: { signal: AbortSignal }) => await via.libp2p.dialProtocol(p, proto, o) }
  return new TextDecoder().decode(await rpcCall(dialer, coord.peerId, Protocols.submit, env))
}

describe('credits: admitted accounts only, one grant each, no self-dealing issuance', function () {
  this.timeout(120_000)
  const fx = new Fixture()
  afterEach(async () => { await fx.cleanup() })

  for (const mode of ['token', 'open'] as const) {
    it(`twenty throwaway keys get no job in and no credits (${mode} admission); an enrolled client does`, async () => {
      // the policy is explicit, with a grant: in open mode too, a grant needs an approval
      const coord = await fx.coordinator({ admission: { mode }, policy: DEFAULT_POLICY })
      await fx.workers(1, coord, mode === 'token' ? { token: (await coord.admission.state.tokens.create({ autoApprove: true })).token } : {})
      const relay = await fx.node({ role: 'client', bootstrap: coord.bootstrapConfig() })
      await waitFor(() => relay.libp2p.getConnections(coord.peerId).length > 0, 10_000, 'connection')
      const ledger = coord.ledger as Ledger
      const keys = await Promise.all(Array.from({ length: 20 }, async () => await generateKeyPair('Ed25519')))
      for (const [i, k] of keys.entries()) {
        // token mode: not admitted at all; open mode: admitted, but nothing to pay with
        await assert.rejects(submitAs(relay, coord, k, `freebie ${i}`), (e: Error) => { assert.equal(e.name, mode === 'token' ? 'NotAdmittedError' : 'InsufficientCreditsError', e.message); return true })
      }
      for (const k of keys) {
        const acct = peerIdFromPrivateKey(k).toString()
        assert.equal(ledger.book.balance(acct), 0n)
        assert.equal((await grantsTo(ledger, acct)).length, 0)
      }
      assert.equal((await coord.jobs.list()).length, 0, 'no throwaway job was queued')
      assert.equal(ledger.book.balance('mint'), 0n, 'nothing was minted')

      // positive control: the same path, from an enrolled (auto-approved) account
      const ck = await generateKeyPair('Ed25519')
      const client = await fx.client(coord, { privateKey: ck })
      const id = await submitAs(relay, coord, ck, 'admitted')
      assert.equal((await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
      const grants = await grantsTo(ledger, client.peerId.toString())
      assert.equal(grants.length, 1)
      assert.equal(grants[0].postings.find(p => p.account === client.peerId.toString())?.delta, DEFAULT_POLICY.welcomeGrant)
    })
  }

  it('open admission grants nothing by default, not even to an approved account', async () => {
    const coord = await fx.coordinator({ admission: { mode: 'open' }, policy: undefined })
    assert.equal(coord.ledger?.policy.welcomeGrant, 0n)
    const client = await fx.client(coord)
    await assert.rejects(client.jobs.submit({ executor: 'noop', input: 'x' }), (e: Error) => e.name === 'InsufficientCreditsError')
    assert.equal((await grantsTo(coord.ledger as Ledger, client.peerId.toString())).length, 0)
  })

  it('token mode: a pending client is refused; once an admin approves it, one grant names that approval, even under concurrent first submits', async () => {
    const key = await generateKeyPair('Ed25519')
    const coord = await fx.coordinator({ privateKey: key, admission: { mode: 'token' } })
    await fx.workers(1, coord, { token: (await coord.admission.state.tokens.create({ autoApprove: true })).token })
    const { token } = await coord.admission.state.tokens.create({ label: 'app user' })
    const client = await fx.node({ role: 'client', token, bootstrap: coord.bootstrapConfig() })
    await waitFor(() => client.admission.statusAt.get(coord.peerId.toString())?.status === EnrollResponse.Status.PENDING, 10_000, 'pending')
    const rec = coord.admission.state.node(client.peerId.toString())
    assert.equal(rec?.role, 'client')
    await assert.rejects(client.jobs.submit({ executor: 'noop', input: 'too early' }), (e: Error) => e.name === 'NotAdmittedError')
    assert.equal(coord.ledger?.book.balance(client.peerId.toString()), 0n)

    const { record } = await coord.admission.submitAction(await signAdminAction(key, MESH, { kind: 'APPROVE', target: client.peerId.toString() }))
    // several first submits at once: one grant decision for the account
    const ids = await Promise.all(Array.from({ length: 8 }, async (_, i) => await client.jobs.submit({ executor: 'noop', input: `burst ${i}` })))
    assert.equal(new Set(ids).size, 8)
    for (const id of ids) assert.equal((await client.jobs.wait(id, { signal: AbortSignal.timeout(30_000) })).state, 'succeeded')
    const ledger = coord.ledger as Ledger
    const grants = await grantsTo(ledger, client.peerId.toString())
    assert.equal(grants.length, 1, 'exactly one welcome grant')
    assert.equal(toHex(grants[0].mint?.approval ?? new Uint8Array()), record.id, 'the grant names the admin\'s APPROVE (its audit id)')

    // the coordinator's own account is admitted; its concurrent first submits also get one grant
    await Promise.all(Array.from({ length: 5 }, async (_, i) => await coord.jobs.submit({ executor: 'noop', input: `own ${i}` })))
    assert.equal((await grantsTo(ledger, coord.peerId.toString())).length, 1)
    const selfApprovals = (await coord.admission.state.audit()).filter(r => r.kind === 'APPROVE' && r.target === coord.peerId.toString())
    assert.equal(selfApprovals.length, 1, 'approved once, by its own key')
    assert.equal(toHex((await grantsTo(ledger, coord.peerId.toString()))[0].mint?.approval ?? new Uint8Array()), selfApprovals[0].id)

    // and the whole log passes the offline audit
    await ledger.checkpoint()
    const all = await entries(ledger)
    const report = await auditLog(await ledger.latestCheckpoint(), ledger.noteKey, all.slice(0, ledger.checkpointSize).map(x => x.bytes))
    assert.equal(report.grants, 2, 'the client and the coordinator')
  })

  it('a token with --uses 2 enrolling three accounts: at most 2 grants', async () => {
    const coord = await fx.coordinator({ admission: { mode: 'token' } })
    await fx.workers(1, coord, { token: (await coord.admission.state.tokens.create({ autoApprove: true })).token })
    const { token, record } = await coord.admission.state.tokens.create({ autoApprove: true, maxUses: 2, label: 'shared' })
    const a = await fx.client(coord, { token })
    const b = await fx.client(coord, { token })
    const c = await fx.node({ role: 'client', token, bootstrap: coord.bootstrapConfig() })
    await waitFor(() => c.admission.statusAt.get(coord.peerId.toString())?.status === EnrollResponse.Status.REJECTED, 10_000, 'the third enrollment refused')
    for (const n of [a, b]) assert.equal((await n.jobs.wait(await n.jobs.submit({ executor: 'noop', input: 'ok' }), { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
    await assert.rejects(c.jobs.submit({ executor: 'noop', input: 'third' }), (e: Error) => e.name === 'NotAdmittedError')
    const ledger = coord.ledger as Ledger
    const granted = await Promise.all([a, b, c].map(async n => (await grantsTo(ledger, n.peerId.toString())).length))
    assert.deepEqual(granted, [1, 1, 0])
    assert.equal((await coord.admission.state.tokens.get(record.id)).uses, 2)
  })

  it('issuance: a worker paid by jobs of an account under its own token earns no share; paid by another operator, it does', async () => {
    const coord = await fx.coordinator({ admission: { mode: 'token' }, policy: { ...DEFAULT_POLICY, issuanceWindowMs: 1_500, issuancePerWindow: 1_000n } })
    const shared = await coord.admission.state.tokens.create({ autoApprove: true, maxUses: 2, label: 'one operator' })
    // the worker under test runs wasm jobs only; another operator's worker runs noop jobs only
    const [worker] = await fx.workers(1, coord, { token: shared.token, offer: ['wasm'] })
    await waitFor(() => coord.admission.state.node(worker.peerId.toString())?.status === 'active', 10_000, 'worker active')
    const [stranger] = await fx.workers(1, coord, { token: (await coord.admission.state.tokens.create({ autoApprove: true, label: 'another operator' })).token, offer: ['noop'] })
    await waitFor(() => coord.admission.state.node(stranger.peerId.toString())?.status === 'active', 10_000, 'the other operator\'s worker active')
    const own = await fx.client(coord, { token: shared.token })
    const ledger = coord.ledger as Ledger
    const issuedTo = async (acct: string, from: number): Promise<bigint> => (await entries(ledger)).filter(x => x.index >= from && x.e.mint?.reason === 'issuance-window')
      .reduce((s, x) => s + (x.e.postings.find(p => p.account === acct)?.delta ?? 0n), 0n)

    const start = ledger.size
    for (let i = 0; i < 4; i++) assert.equal((await own.jobs.wait(await own.jobs.submit({ executor: 'wasm', module: await wasmUpper(), input: `self ${i}` }), { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
    assert.ok(ledger.book.balance(worker.peerId.toString()) > 0n, 'the worker was paid for the work')
    // the positive control in the same windows: the same account's next job, run by the other
    // operator's worker, earns that worker a share; the window that pays it closes after every
    // self-dealt settlement, so a share for those would have been minted by then too
    assert.equal((await own.jobs.wait(await own.jobs.submit({ executor: 'noop', input: 'paid to another operator' }), { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
    await waitFor(async () => await issuedTo(stranger.peerId.toString(), start) > 0n, 15_000, 'an issuance share for the other operator\'s worker')
    assert.equal(await issuedTo(worker.peerId.toString(), start), 0n, 'no issuance for paying itself')

    // positive control: the same worker, paid by another operator's account
    const other = await fx.client(coord)
    const mark = ledger.size
    assert.equal((await other.jobs.wait(await other.jobs.submit({ executor: 'wasm', module: await wasmUpper(), input: 'for someone else' }), { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
    await waitFor(async () => await issuedTo(worker.peerId.toString(), mark) > 0n, 15_000, 'an issuance share for real work')
  })
})

async function wasmUpper (): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises')
  return new Uint8Array(await readFile(new URL('../../examples/wasm/upper.wasm', import.meta.url)))
}
