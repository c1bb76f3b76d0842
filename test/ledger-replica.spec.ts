// The replica's side of ledger sync: entries replayed into a draft of the balances while they
// stream in (committed only once they hash to the signed root), sync streams that lie or break
// (a rogue log owner on real libp2p, its log in a real LevelDB), and the open-receipt index that
// keeps a checkpoint from rereading receipts it has already proven.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { Level } from 'level'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { pbStream } from '@libp2p/utils'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { Fixture, waitFor, MESH } from './helpers.js'
import { createMeshLibp2p } from '../src/mesh/create-libp2p.js'
import { Protocols } from '../src/wire/domains.js'
import { SignedEnvelope, SignedPayload } from '../src/wire/pb/envelope.js'
import { RpcResponse } from '../src/wire/pb/rpc.js'
import { LedgerEntry, SyncFrame, SyncRequest } from '../src/wire/pb/ledger.js'
import { MerkleLog } from '../src/ledger/merkle/merkle-log.js'
import { formatCheckpoint, signNote } from '../src/ledger/merkle/checkpoint.js'
import { logOrigin } from '../src/ledger/coordinator-ledger.js'
import { Book, MINT_ACCOUNT } from '../src/ledger/book.js'
import { DataDirFiles } from '../src/identity/data-dir.js'
import type { EdgecoderNode } from '../src/node/create-node.js'

const mint = (account: string, n: bigint, delta = -n): Uint8Array<ArrayBuffer> => LedgerEntry.encode({
  kind: LedgerEntry.Kind.MINT, timeMs: 1n, postings: [{ account: MINT_ACCOUNT, delta }, { account, delta: n }], mint: { reason: 'issuance-window', windowStartMs: 0n, windowEndMs: 0n, approval: new Uint8Array() }, memo: ''
})

type SyncMode = 'honest' | 'gap' | 'overlong'

/**
 * A log owner that signs checkpoints of its own log honestly but serves `/edgecoder/ledger-sync`
 * as told: entries as stored, a frame that skips an entry, or more entries than asked for.
 */
async function rogueLog (fx: Fixture, stops: Array<() => Promise<void>>, entries: Array<Uint8Array<ArrayBuffer>>): Promise<{ libp2p: Libp2p, log: string, note: string, setMode: (m: SyncMode) => void, alter: (index: number) => void }> {
  const key: PrivateKey = await generateKeyPair('Ed25519')
  const log = peerIdFromPrivateKey(key).toString()
  const db = new Level<string, string>(join(await fx.dir(), 'log'), { valueEncoding: 'utf8' })
  await db.open()
  const merkle = await MerkleLog.open(db.sublevel<string, string>('log', { valueEncoding: 'utf8' }))
  await merkle.append(entries)
  const origin = logOrigin(MESH, log)
  const note = await signNote(formatCheckpoint({ origin, size: merkle.size, rootHash: await merkle.root() }), origin, key)
  // what it serves: a copy it may alter after signing
  const served = entries.map(e => e.slice())
  let mode: SyncMode = 'honest'
  const libp2p = await createMeshLibp2p({ privateKey: key, meshId: MESH, listen: ['/ip4/127.0.0.1/tcp/0'], userAgent: 'rogue-log', services: {} })
  await libp2p.handle(Protocols.ledgerSync, async stream => {
    const pb = pbStream(stream, { maxDataLength: 8 * 1024 * 1024 })
    const q = SyncRequest.decode(SignedPayload.decode((await pb.read(SignedEnvelope)).payload).body)
    const to = q.to === 0n ? served.length : Math.min(Number(q.to), served.length)
    const frame = async (index: number, batch: Array<Uint8Array<ArrayBuffer>>, done = false): Promise<void> => {
      await pb.write({ errorName: '', errorMessage: '', body: SyncFrame.encode({ index: BigInt(index), entries: batch, done, note: done ? note : '' }) }, RpcResponse)
    }
    for (let i = Number(q.from); i < to; i += 100) {
      if (mode === 'gap' && i >= 500) {
        await frame(i + 1, served.slice(i + 1, Math.min(i + 101, to)))
        break
      }
      const batch = served.slice(i, Math.min(i + 100, to))
      // the last frame carries one entry more than was asked for
      if (mode === 'overlong' && i + 100 >= to) batch.push(mint('extra', 1n))
      await frame(i, batch)
    }
    await frame(to, [], true)
    await stream.close()
  })
  stops.push(async () => { await libp2p.stop(); await db.close() })
  return { libp2p, log, note, setMode: m => { mode = m }, alter: i => { served[i][served[i].length - 1] ^= 1 } }
}

describe('ledger replica', function () {
  this.timeout(120_000)
  const fx = new Fixture()
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.allSettled(stops.splice(0).map(async stop => { await stop() }))
    await fx.cleanup()
  })

  it('a draft of the balances reads through to its book, and changes it only when committed', () => {
    const book = new Book('coord')
    book.applyRun(0, [mint('a', 5n), mint('b', 3n)])
    const draft = book.draft()
    draft.applyRun(2, [mint('a', 2n), mint('c', 1n)])
    assert.equal(draft.balance('a'), 7n)
    assert.equal(draft.balance('b'), 3n)
    assert.equal(draft.balance(MINT_ACCOUNT), -11n)
    assert.equal(draft.size, 4)
    // the book has not moved
    assert.equal(book.balance('a'), 5n)
    assert.equal(book.balance('c'), 0n)
    assert.equal(book.size, 2)
    assert.equal(book.totals.minted, 8n)
    draft.commit()
    assert.deepEqual([book.balance('a'), book.balance('b'), book.balance('c'), book.balance(MINT_ACCOUNT)], [7n, 3n, 1n, -11n])
    assert.equal(book.size, 4)
    assert.equal(book.totals.minted, 11n)
    // a draft whose book moved on cannot be committed
    const stale = book.draft()
    stale.apply(4, mint('a', 1n))
    book.apply(4, mint('b', 1n))
    assert.throws(() => { stale.commit() }, { name: 'LedgerInvariantError' })
    // a broken entry in a draft leaves the book as it was
    const bad = book.draft()
    assert.throws(() => { bad.applyRun(5, [mint('a', 1n), mint('a', 1n, -2n)]) }, { name: 'LedgerInvariantError' })
    assert.equal(book.balance('a'), 7n)
    assert.equal(book.size, 5)
  })

  it('a sync stream that skips or overruns entries is refused with a typed error; what arrived in order is kept and the sync resumes from it', async () => {
    const entries = Array.from({ length: 2_000 }, (_, i) => mint(`acct-${i % 7}`, 1n))
    const rogue = await rogueLog(fx, stops, entries)
    const w = await fx.node({ role: 'worker' })
    await w.libp2p.dial(rogue.libp2p.getMultiaddrs())
    const replica = w.replica
    if (replica == null) throw new Error('no replica')

    rogue.setMode('gap')
    await assert.rejects(replica.onCheckpoint(rogue.log, rogue.note, AbortSignal.timeout(20_000)), { name: 'MalformedMessageError' })
    const kept = replica.state(rogue.log).merkle.size
    assert.ok(kept > 0 && kept <= 500, `entries before the gap kept (${kept})`)
    assert.equal(replica.state(rogue.log).verifiedSize, 0)
    assert.equal(replica.balance(rogue.log, 'acct-0'), 0n, 'no balance from unverified entries')

    rogue.setMode('overlong')
    await assert.rejects(replica.onCheckpoint(rogue.log, rogue.note, AbortSignal.timeout(20_000)), { name: 'MalformedMessageError' })
    assert.equal(replica.state(rogue.log).verifiedSize, 0)
    assert.ok(replica.state(rogue.log).merkle.size <= entries.length, 'nothing past the checkpoint stored')
    assert.deepEqual(await replica.evidence(), [], 'a broken stream proves nothing about the log')

    rogue.setMode('honest')
    const out = await replica.onCheckpoint(rogue.log, rogue.note, AbortSignal.timeout(20_000))
    assert.equal(out.verified, true)
    assert.ok(out.fetched < entries.length, 'resumed from the entries already stored')
    assert.equal(replica.state(rogue.log).verifiedSize, entries.length)
    assert.equal(replica.balance(rogue.log, 'acct-0'), BigInt(Math.ceil(entries.length / 7)))
    assert.equal((await replica.verify(rogue.log)).ok, true)
  })

  it('entries that do not hash to the signed root are evidence, and none of them reaches the balances', async () => {
    const rogue = await rogueLog(fx, stops, Array.from({ length: 1_500 }, () => mint('a', 1n)))
    rogue.alter(1_234)
    const w = await fx.node({ role: 'worker' })
    await w.libp2p.dial(rogue.libp2p.getMultiaddrs())
    const out = await w.replica?.onCheckpoint(rogue.log, rogue.note, AbortSignal.timeout(20_000))
    assert.equal(out?.verified, false)
    assert.deepEqual(out?.evidence.map(e => e.kind), ['root-mismatch'])
    assert.equal(w.replica?.state(rogue.log).frozen, true)
    assert.equal(w.replica?.state(rogue.log).verifiedSize, 0)
    assert.equal(w.replica?.balance(rogue.log, 'a'), 0n)
  })

  it('entries from a relay that do not hash to the root are dropped without evidence; the coordinator\'s own copy then verifies', async () => {
    const entries = Array.from({ length: 1_500 }, () => mint('a', 1n))
    const owner = await rogueLog(fx, stops, entries)
    // another peer serving the sync protocol, with one entry of its copy altered
    const relay = await rogueLog(fx, stops, entries)
    relay.alter(1_234)
    const w = await fx.node({ role: 'worker' })
    // the owner is not reachable (no address known): the replica falls back to connected peers
    await w.libp2p.dial(relay.libp2p.getMultiaddrs())
    const replica = w.replica
    if (replica == null) throw new Error('no replica')
    await assert.rejects(replica.onCheckpoint(owner.log, owner.note, AbortSignal.timeout(20_000)), (err: Error) => {
      assert.equal(err.name, 'CheckpointMismatchError')
      assert.ok(err.message.includes(relay.log), err.message)
      return true
    })
    assert.deepEqual(await replica.evidence(), [], 'no evidence against the coordinator')
    assert.equal(replica.state(owner.log).frozen, false)
    assert.equal(replica.state(owner.log).merkle.size, 0, 'the relay\'s entries are gone')
    assert.equal(replica.balance(owner.log, 'a'), 0n)
    // once the coordinator itself answers, the same checkpoint verifies from its entries
    await w.libp2p.dial(owner.libp2p.getMultiaddrs())
    const out = await replica.onCheckpoint(owner.log, owner.note, AbortSignal.timeout(20_000))
    assert.equal(out.verified, true)
    assert.equal(out.fetched, entries.length)
    assert.equal(replica.balance(owner.log, 'a'), 1_500n)
    assert.equal((await replica.verify(owner.log)).ok, true)
  })

  it('a signed log that breaks an invariant is evidence after its root checks out, and the balances stay at the last verified size', async () => {
    // entry 700 mints credits without taking them from the mint account: postings do not sum to zero
    const rogue = await rogueLog(fx, stops, Array.from({ length: 1_000 }, (_, i) => mint('a', 1n, i === 700 ? 0n : -1n)))
    const w = await fx.node({ role: 'worker' })
    await w.libp2p.dial(rogue.libp2p.getMultiaddrs())
    const out = await w.replica?.onCheckpoint(rogue.log, rogue.note, AbortSignal.timeout(20_000))
    assert.equal(out?.verified, false)
    assert.deepEqual(out?.evidence.map(e => e.kind), ['invariant'])
    assert.match(out?.evidence[0].detail ?? '', /entry 700: postings sum to 1/)
    assert.equal(w.replica?.state(rogue.log).merkle.size, 1_000, 'the entries are kept as evidence')
    assert.equal(w.replica?.state(rogue.log).verifiedSize, 0)
    assert.equal(w.replica?.balance(rogue.log, 'a'), 0n, 'not even the 700 sound entries before it')
  })

  it('a checkpoint reads only open receipts: proven ones are not read again, also after a restart that builds the index for an older replica', async () => {
    const coord = await fx.coordinator({ checkpointEvery: 10, checkpointIntervalMs: 200 })
    const log = coord.peerId.toString()
    const key = await generateKeyPair('Ed25519')
    const dataDir = await fx.dir()
    const startWorker = async (): Promise<EdgecoderNode> => {
      const w = await fx.node({ role: 'worker', privateKey: key, dataDir, receiptGraceMs: 600_000, bootstrap: coord.bootstrapConfig() })
      await waitFor(() => w.worker?.coordinators.has(log) === true, 10_000, 'the worker to find the coordinator')
      return w
    }
    let w = await startWorker()
    const examined: string[] = []
    const watch = (n: EdgecoderNode): void => { n.replica?.events.on('receipt:examined', d => { examined.push(d.jobId) }) }
    watch(w)
    const runJobs = async (tag: string, n: number): Promise<string[]> => {
      const ids: string[] = []
      for (let i = 0; i < n; i++) ids.push(await coord.jobs.submit({ executor: 'noop', input: `${tag}-${i}` }))
      for (const id of ids) assert.equal((await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
      await waitFor(async () => {
        await w.replica?.reconcile(log, AbortSignal.timeout(20_000)).catch(() => {})
        const rs = await w.replica?.receipts(log) ?? []
        return ids.every(id => rs.some(r => r.jobId === id && r.proven != null))
      }, 30_000, `the receipts of ${tag} to be proven`)
      return ids
    }

    const first = await runJobs('first', 4)
    // a result acknowledged and not settled (yet): open, inside its grace period
    const open = 'e'.repeat(64)
    await w.replica?.addReceipt({ jobId: open, log, resultDigest: 'ab'.repeat(32), assignmentDigest: 'cd'.repeat(32), ackedAt: Date.now() })
    let mark = examined.length
    const second = await runJobs('second', 3)
    const afterFirst = examined.slice(mark)
    assert.deepEqual(afterFirst.filter(id => first.includes(id)), [], 'receipts proven before were not read again')
    assert.ok(afterFirst.includes(open), 'the open receipt was read')
    assert.ok(second.every(id => afterFirst.includes(id)), 'new receipts were read until proven')

    // a replica from before the index: its receipts, no index; the restart builds it from the open ones
    await w.stop()
    const db = new Level<string, string>(join(dataDir, DataDirFiles.replicaDb), { valueEncoding: 'utf8' })
    await db.sublevel('open-receipts').clear()
    await db.sublevel('meta').clear()
    await db.close()
    w = await startWorker()
    watch(w)
    mark = examined.length
    const third = await runJobs('third', 2)
    const afterRestart = examined.slice(mark)
    assert.deepEqual(afterRestart.filter(id => first.includes(id) || second.includes(id)), [], 'proven receipts are not indexed')
    assert.ok(afterRestart.includes(open), 'the open receipt was indexed and read')
    assert.ok(third.every(id => afterRestart.includes(id)))
    assert.deepEqual(await w.replica?.evidence(), [])
  })
})
