import assert from 'node:assert/strict'
import { Level } from 'level'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Fixture, waitFor, MESH } from './helpers.js'
import { LedgerEntry } from '../src/wire/pb/ledger.js'
import { MINT_ACCOUNT } from '../src/ledger/book.js'
import { formatCheckpoint, signNote } from '../src/ledger/merkle/checkpoint.js'
import { MerkleLog } from '../src/ledger/merkle/merkle-log.js'
import { logOrigin } from '../src/ledger/coordinator-ledger.js'
import { rpcCall } from '../src/rpc/reqresp.js'
import { Protocols } from '../src/wire/domains.js'
import { loadEnvelope } from '../src/jobs/envelopes.js'
import type { JobRecord } from '../src/jobs/types.js'
import { DEFAULT_POLICY } from '../src/ledger/policy.js'
import type { EdgecoderNode } from '../src/node/create-node.js'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { signAdminAction } from '../src/admission/admin-actions.js'

async function mesh (fx: Fixture, workers = 2, extra: Parameters<Fixture['coordinator']>[0] = {}): Promise<{ coord: EdgecoderNode, ws: EdgecoderNode[], key: PrivateKey }> {
  const key = await generateKeyPair('Ed25519')
  const coord = await fx.coordinator({ privateKey: key, checkpointEvery: 10, checkpointIntervalMs: 200, ...extra })
  const ws = await fx.workers(workers, coord)
  return { coord, ws, key }
}

describe('credit ledger', function () {
  this.timeout(120_000)
  const fx = new Fixture()
  afterEach(async () => { await fx.cleanup() })

  it('settles every job once; balances add up; workers prove their receipts from signed checkpoints', async () => {
    const { coord, ws } = await mesh(fx)
    const client = await fx.client(coord)
    const ids: string[] = []
    for (let i = 0; i < 20; i++) ids.push(await client.jobs.submit({ executor: i % 2 === 0 ? 'noop' : 'wasm', input: `j${i}`, ...(i % 2 === 1 ? { module: await wasmUpper() } : {}) }))
    for (const id of ids) assert.equal((await client.jobs.wait(id, { signal: AbortSignal.timeout(30_000) })).state, 'succeeded')
    const ledger = coord.ledger
    if (ledger == null) throw new Error('no ledger')
    assert.equal(ledger.book.settledJobs.size, 20)
    // every settlement: debit = credit + fee; all balances (with the mint) sum to zero
    let charged = 0n
    for (let i = 0; i < ledger.size; i++) {
      const e = LedgerEntry.decode(await ledger.entry(i))
      assert.equal(e.postings.reduce((a, p) => a + p.delta, 0n), 0n)
      const s = e.settlement
      if (e.kind === LedgerEntry.Kind.SETTLEMENT && s != null) {
        const debit = -(e.postings.find(p => p.account === s.owner)?.delta ?? 0n)
        const credit = e.postings.find(p => p.account === s.worker)?.delta ?? 0n
        assert.equal(debit, credit + s.fee)
        assert.equal(s.owner, client.peerId.toString())
        charged += s.price
      }
    }
    const total = [...ledger.book.balances.values()].reduce((a, b) => a + b, 0n)
    assert.equal(total, 0n)
    assert.equal(ledger.book.balance(client.peerId.toString()), DEFAULT_POLICY.welcomeGrant - charged)
    assert.equal(ledger.book.balance(MINT_ACCOUNT), -DEFAULT_POLICY.welcomeGrant)
    // workers: receipts proven against the checkpoint they verified
    for (const w of ws) {
      await waitFor(async () => {
        await w.replica?.reconcile(coord.peerId.toString(), AbortSignal.timeout(20_000)).catch(() => {})
        const rs = await w.replica?.receipts() ?? []
        return rs.length > 0 && rs.every(r => r.proven != null)
      }, 20_000, 'receipts to be proven')
      const v = await w.replica?.verify(coord.peerId.toString())
      assert.equal(v?.ok, true)
      assert.equal(w.replica?.balance(coord.peerId.toString(), w.peerId.toString()), ledger.book.balance(w.peerId.toString()))
      assert.equal((await w.replica?.evidence())?.length, 0)
    }
  })

  it('a job the owner cannot pay for is refused before it is queued', async () => {
    const { coord } = await mesh(fx, 1, { policy: { ...DEFAULT_POLICY, welcomeGrant: 60n } })
    const client = await fx.client(coord)
    // a wasm job costs 100, the grant is 60
    await assert.rejects(client.jobs.submit({ executor: 'wasm', module: await wasmUpper(), input: 'b' }), (e: Error) => e.name === 'InsufficientCreditsError')
    // offering less than the price is refused too
    await assert.rejects(client.jobs.submit({ executor: 'noop', input: 'cheap', offeredPrice: 0 }).then(async () => await client.jobs.submit({ executor: 'wasm', module: await wasmUpper(), input: 'x', offeredPrice: 1 })), (e: Error) => e.name === 'PriceTooLowError')
    // three noop jobs at 20 credits each use the grant up; the fourth is refused
    await client.jobs.submit({ executor: 'noop', input: 'a' })
    await client.jobs.submit({ executor: 'noop', input: 'b' })
    await assert.rejects(client.jobs.submit({ executor: 'noop', input: 'c' }), (e: Error) => e.name === 'InsufficientCreditsError')
    assert.equal((await coord.jobs.list()).length, 3, 'refused jobs were never queued')
  })

  it('a settlement written while the owner submits again never counts the price twice', async () => {
    const { coord, key } = await mesh(fx, 0, { policy: { ...DEFAULT_POLICY, welcomeGrant: 40n } })
    const ledger = coord.ledger
    assert.ok(ledger != null)
    // an approved account: only those are granted credits
    const owner = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    await coord.admission.submitAction(await signAdminAction(key, MESH, { kind: 'APPROVE', target: owner }))
    const worker = 'the-worker'
    // the grant pays for exactly two noop jobs
    assert.equal(await ledger.reserve('job-1', owner, 'noop', 0n, 0, 1), 20n)
    const digest = 'ab'.repeat(32)
    const rec: JobRecord = {
      id: 'job-1', seq: 1, state: 'succeeded', owner, coordinator: coord.peerId.toString(), executor: 'noop', label: '',
      spec: { payload: '', signature: '' }, timeoutMs: 1000, maxAttempts: 1, offeredPrice: '0', price: '20', cpuMillis: 0, memoryMb: 0,
      attempt: 1, attempts: [], timestamps: [], reason: '', createdAt: 0, updatedAt: 0, notBefore: 0, round: 0, lastAnnouncedAt: 0,
      result: { envelope: { payload: '', signature: '' }, assignmentDigest: digest, digest, exitCode: 0, outputDigest: digest, worker, attempt: 1 }
    }
    // job 1 is being settled (its entry not yet on disk) when job 2 arrives
    const settling = ledger.settle(rec)
    assert.equal(await ledger.reserve('job-2', owner, 'noop', 0n, 0, 1), 20n, 'the second job is affordable')
    await settling
    assert.equal(ledger.available(owner), 0n)
    assert.equal(ledger.book.balance(owner), 20n)
    await assert.rejects(ledger.reserve('job-3', owner, 'noop', 0n, 0, 1), { name: 'InsufficientCreditsError' })
  })

  it('duplicate results and restarts never settle a job twice', async () => {
    const { coord, ws } = await mesh(fx, 1)
    const id = await coord.jobs.submit({ executor: 'noop', input: 'once' })
    await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })
    const rec = await coord.coordinator?.store.get(id)
    if (rec?.result == null) throw new Error('no result')
    const before = coord.ledger?.size
    // the worker resends its signed result (a lost ack): DUPLICATE, and no new entry
    const dialer = { openStream: async (p: Parameters<EdgecoderNode['libp2p']['dialProtocol']>[0], proto: string, o: { signal: AbortSignal }) => await ws[0].libp2p.dialProtocol(p, proto, o) }
    for (let i = 0; i < 3; i++) await rpcCall(dialer, coord.peerId, Protocols.result, loadEnvelope(rec.result.envelope))
    assert.equal(await coord.ledger?.settle(rec), coord.ledger?.book.settledJobs.get(id))
    assert.equal(coord.ledger?.size, before)
    assert.equal(coord.ledger?.book.settledJobs.size, 1)
  })

  it('a forged checkpoint is refused; two signed checkpoints that disagree become evidence', async () => {
    const { coord, ws, key } = await mesh(fx, 1)
    const id = await coord.jobs.submit({ executor: 'noop', input: 'x' })
    await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })
    const w = ws[0]
    const log = coord.peerId.toString()
    await waitFor(async () => ((await w.replica?.reconcile(log, AbortSignal.timeout(10_000)))?.size ?? 0) >= 2, 20_000, 'replica to verify')
    const verified = w.replica?.state(log).verifiedSize ?? 0
    const origin = logOrigin(MESH, log)
    // signed by someone else: refused outright
    const stranger = await generateKeyPair('Ed25519')
    const forged = await signNote(formatCheckpoint({ origin, size: verified + 5, rootHash: new Uint8Array(32) }), origin, stranger)
    await assert.rejects(w.replica?.onCheckpoint(log, forged) ?? Promise.resolve(), (e: Error) => /Note|Signature|Key/i.test(e.name))
    // signed by the coordinator itself but contradicting what it signed before: a fork
    const lie = await signNote(formatCheckpoint({ origin, size: verified, rootHash: new Uint8Array(32).fill(7) }), origin, key)
    const out = await w.replica?.onCheckpoint(log, lie)
    assert.equal(out?.evidence[0]?.kind, 'fork')
    const ev = await w.replica?.evidence() ?? []
    assert.equal(ev.length, 1)
    assert.ok(ev[0].notes.includes(lie), 'the contradicting note is kept as evidence')
  })

  it('an accepted but unpaid result (executor error) leaves no receipt, so no false missing-receipt evidence', async () => {
    const coord = await fx.coordinator({ checkpointEvery: 10, checkpointIntervalMs: 200 })
    // a short grace: long enough that a checkpoint signed just before the paid job's settlement (and
    // applied just after its ack) is not taken for a missing receipt; the unpaid result is checked
    // directly below — it must leave no receipt at all
    const [w] = await fx.workers(1, coord, { receiptGraceMs: 1_000, processAllowlist: ['true'] })
    const log = coord.peerId.toString()
    const acked: Array<{ jobId: string, payable: boolean }> = []
    w.events.on('work:acked', d => { acked.push({ jobId: d.jobId, payable: d.payable }) })
    const refused = await coord.jobs.submit({ executor: 'process', args: ['not-on-the-allowlist'], maxAttempts: 1 })
    const paid = await coord.jobs.submit({ executor: 'noop', input: 'paid' })
    assert.equal((await coord.jobs.wait(refused, { signal: AbortSignal.timeout(20_000) })).state, 'failed')
    assert.equal((await coord.jobs.wait(paid, { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
    await waitFor(() => acked.length === 2, 10_000, 'both results acknowledged')
    assert.deepEqual(acked.find(a => a.jobId === refused)?.payable, false)
    await waitFor(async () => (await w.replica?.receipts(log) ?? []).some(r => r.jobId === paid), 10_000, 'the paid receipt')
    assert.ok(!(await w.replica?.receipts(log) ?? []).some(r => r.jobId === refused), 'no receipt for the unpaid result')
    await waitFor(() => (coord.ledger?.checkpointSize ?? 0) >= (coord.ledger?.size ?? 0), 10_000, 'a checkpoint of the settlement')
    const out = await w.replica?.reconcile(log, AbortSignal.timeout(20_000))
    assert.equal(out?.verified, true)
    assert.deepEqual(out?.evidence, [])
    assert.deepEqual(await w.replica?.evidence(), [])
  })

  it('a worker that runs its own job is settled (owner and worker are one account, at a zero fee)', async () => {
    const { coord, ws, key } = await mesh(fx, 1, { policy: { ...DEFAULT_POLICY, feeBps: 0 } })
    const w = ws[0]
    // an approved account, so it is granted credits to pay with
    await coord.admission.submitAction(await signAdminAction(key, MESH, { kind: 'APPROVE', target: w.peerId.toString() }))
    // no fee: the owner's debit and the worker's credit net to 0
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(await w.jobs.submit({ executor: 'noop', input: `mine ${i}` }))
    for (const id of ids) assert.equal((await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
    await waitFor(() => ids.every(id => coord.ledger?.isSettled(id) === true), 10_000, 'settlements')
    assert.equal((await coord.jobs.status(ids[0])).attempts.at(-1)?.worker, w.peerId.toString())
  })

  it('a missing receipt is evidence, and a hand-tampered replica fails verify', async () => {
    const { coord, ws } = await mesh(fx, 1, {})
    const w = ws[0]
    const log = coord.peerId.toString()
    const id = await coord.jobs.submit({ executor: 'noop', input: 'paid?' })
    await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })
    await w.replica?.addReceipt({ jobId: 'f'.repeat(64), log, resultDigest: 'ab'.repeat(32), assignmentDigest: 'cd'.repeat(32), ackedAt: Date.now() - 3_600_000 })
    // until a checkpoint covers the real settlement (policy, welcome grant, settlement)
    const evidence: Array<{ kind: string, detail: string }> = []
    await waitFor(async () => {
      const out = await w.replica?.reconcile(log, AbortSignal.timeout(20_000))
      evidence.push(...out?.evidence ?? [])
      return (out?.size ?? 0) >= 3
    }, 20_000, 'a checkpoint covering the settlement')
    // raised by our reconcile or by a checkpoint that came in on gossip meanwhile: it is stored either way
    evidence.push(...await w.replica?.evidence() ?? [])
    assert.ok(evidence.some(e => e.kind === 'missing-receipt' && e.detail.includes('f'.repeat(64))))
    // tamper with an entry on disk, behind the node's back
    const dataDirEntries = w.replica?.state(log)
    assert.ok((dataDirEntries?.verifiedSize ?? 0) > 1)
    await tamperFirstEntry(w, log)
    const v = await w.replica?.verify(log)
    assert.equal(v?.ok, false)
    assert.match(v?.problem ?? '', /entry 1/)
  })

  it('a replica catches up 100k entries from the coordinator and resumes after an interrupted sync', async function () {
    this.timeout(180_000)
    const { coord } = await mesh(fx, 0)
    const ledger = coord.ledger
    if (ledger == null) throw new Error('no ledger')
    // a long history: 100k issuance entries, appended in batches the way settlements are
    await appendMints(ledger, 100_000)
    await ledger.checkpoint()
    const client = await fx.node({ role: 'client', bootstrap: coord.bootstrapConfig() })
    await waitFor(() => client.libp2p.getConnections(coord.peerId).length > 0, 10_000, 'connection')
    const log = coord.peerId.toString()
    // interrupt the first sync part way
    const abort = new AbortController()
    const watch = setInterval(() => { if ((client.replica?.has(log) === true ? client.replica.state(log).merkle.size : 0) >= 20_000) abort.abort() }, 5)
    await assert.rejects(client.replica?.reconcile(log, abort.signal) ?? Promise.resolve())
    clearInterval(watch)
    const partial = client.replica?.state(log).merkle.size ?? 0
    assert.ok(partial >= 20_000 && partial < ledger.checkpointSize, `sync interrupted part way (${partial})`)
    assert.equal(client.replica?.state(log).verifiedSize, 0, 'nothing verified yet')
    const t0 = performance.now()
    const out = await client.replica?.reconcile(log, AbortSignal.timeout(120_000))
    const ms = performance.now() - t0
    assert.equal(out?.verified, true)
    assert.equal(out?.fetched, ledger.checkpointSize - partial, 'resumed where it stopped')
    assert.equal(client.replica?.state(log).verifiedSize, ledger.checkpointSize)
    console.log(`      catch-up of ${ledger.checkpointSize} entries: ${ms.toFixed(0)} ms (resumed from ${partial})`)
    assert.equal((await client.replica?.verify(log))?.ok, true)
  })
})

async function wasmUpper (): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises')
  return new Uint8Array(await readFile(new URL('../../examples/wasm/upper.wasm', import.meta.url)))
}

async function appendMints (ledger: NonNullable<EdgecoderNode['ledger']>, n: number): Promise<void> {
  const internal = ledger as unknown as { appendEntry: (e: LedgerEntry) => Promise<number> }
  const pending: Array<Promise<number>> = []
  for (let i = 0; i < n; i++) {
    pending.push(internal.appendEntry({ kind: LedgerEntry.Kind.MINT, timeMs: BigInt(Date.now()), postings: [{ account: MINT_ACCOUNT, delta: -1n }, { account: `acct-${i % 97}`, delta: 1n }], mint: { reason: 'issuance-window', windowStartMs: 0n, windowEndMs: 0n, approval: new Uint8Array() }, memo: '' }))
    if (pending.length >= 5000) await Promise.all(pending.splice(0))
  }
  await Promise.all(pending)
}

/** Flips a byte of entry 1 in the worker's replica, with the node's database handle (as a disk fault or a hand edit would). */
async function tamperFirstEntry (w: EdgecoderNode, log: string): Promise<void> {
  const s = w.replica?.state(log)
  if (s == null) throw new Error('no replica')
  const raw = (s.merkle as unknown as { tamperForTests?: (i: number) => Promise<void> })
  if (raw.tamperForTests != null) { await raw.tamperForTests(1); return }
  throw new Error('MerkleLog offers no way to reach its storage for this test')
}

export { Level, MerkleLog }
