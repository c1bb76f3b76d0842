// The books: a job's status is never ahead of its settlement, and the fee rounding rule is a
// versioned policy value, so the treasury receives the fee the policy names and entries written
// under the old rule still recompute exactly. Real nodes on loopback, real LevelDB.
import assert from 'node:assert/strict'
import { Fixture, waitFor } from './helpers.js'
import { Book } from '../src/ledger/book.js'
import { DEFAULT_POLICY, policyToPb, feeOf, type Policy } from '../src/ledger/policy.js'
import { LedgerEntry } from '../src/wire/pb/ledger.js'
import { LedgerEntry as LedgerEntryV010 } from './fixtures/wire-v0.1.0/pb/ledger.js'
import { auditLog, entriesFromJson } from '../src/ledger/log-audit.js'
import { entryToJson } from '../src/api/ledger-view.js'
import type { JobRecord } from '../src/jobs/types.js'
import { wallet, walletText } from '../src/ledger/wallet.js'

const COORD = 'coordinator'
const policyEntry = (p: Policy): LedgerEntry => ({ kind: LedgerEntry.Kind.POLICY, timeMs: 1n, postings: [], policy: policyToPb(p), memo: 'genesis policy' })
const settlement = (n: number, price: bigint, fee: bigint): LedgerEntry => ({
  kind: LedgerEntry.Kind.SETTLEMENT,
  timeMs: 2n,
  postings: [{ account: 'owner', delta: -price }, { account: 'worker', delta: price - fee }, { account: COORD, delta: fee }].filter(p => p.delta !== 0n),
  settlement: { jobId: `job-${n}`, owner: 'owner', worker: 'worker', attempt: 1, outcome: 'succeeded', price, fee, assignmentDigest: new Uint8Array(32), resultDigest: new Uint8Array(32), executor: 'wasm' },
  memo: ''
})
/** applies `entries` to a fresh book; returns it, or the error of the first unsound entry */
function replay (entries: Uint8Array[]): Book {
  const b = new Book(COORD)
  entries.forEach((e, i) => b.apply(i, e))
  return b
}

describe('the books: status after settlement, fees by a versioned rounding rule', function () {
  this.timeout(120_000)
  const fx = new Fixture()
  afterEach(async () => { await fx.cleanup() })

  it('a job reads succeeded only once its result and its settlement are durable', async () => {
    // no checkpoint meanwhile: durability is the log's own, read at the instant status changes
    const coord = await fx.coordinator({ checkpointIntervalMs: 60_000 })
    await fx.workers(2, coord)
    const ledger = coord.ledger
    assert.ok(ledger != null)
    const ids: string[] = []
    for (let i = 0; i < 20; i++) ids.push(await coord.jobs.submit({ executor: 'noop', input: `books ${i}` }))
    const seen = new Map<string, { settledAt?: number, durable: number }>()
    const deadline = Date.now() + 60_000
    // poll every job's status as tightly as the event loop allows; in the same tick as a terminal
    // status is seen, read the ledger (what `ledger balance` reads, and what is on disk)
    while (seen.size < ids.length && Date.now() < deadline) {
      for (const id of ids) {
        if (seen.has(id)) continue
        const s = await coord.jobs.status(id)
        if (s.state === 'succeeded' || s.state === 'failed') seen.set(id, { settledAt: ledger.book.settledAt(id), durable: ledger.durableSize })
      }
      await new Promise(resolve => setImmediate(resolve))
    }
    assert.equal(seen.size, ids.length, 'every job finished')
    for (const [id, at] of seen) {
      assert.ok(at.settledAt != null, `job ${id.slice(0, 12)} read terminal before its settlement was in the books`)
      assert.ok(at.durable > at.settledAt, `job ${id.slice(0, 12)} read terminal before its settlement (entry ${at.settledAt}) was on disk (${at.durable} entries)`)
    }
  })

  it('a duplicate result while the first settlement is written is answered only once that settlement is on disk', async () => {
    const coord = await fx.coordinator({ checkpointIntervalMs: 60_000 })
    const ledger = coord.ledger
    assert.ok(ledger != null)
    const owner = coord.peerId.toString()
    await ledger.reserve('job-dup', owner, 'noop', 0n, 0, 1)
    const digest = 'ab'.repeat(32)
    const rec: JobRecord = {
      id: 'job-dup', seq: 1, state: 'succeeded', owner, coordinator: owner, executor: 'noop', label: '',
      spec: { payload: '', signature: '' }, timeoutMs: 1000, maxAttempts: 1, offeredPrice: '0', price: '20', cpuMillis: 0, memoryMb: 0,
      attempt: 1, attempts: [], timestamps: [], reason: '', createdAt: 0, updatedAt: 0, notBefore: 0, round: 0, lastAnnouncedAt: 0,
      result: { envelope: { payload: '', signature: '' }, assignmentDigest: digest, digest, exitCode: 0, outputDigest: digest, worker: 'the-worker', attempt: 1 }
    }
    const first = ledger.settle(rec)
    const index = await ledger.settle(rec)
    assert.ok(index != null)
    assert.ok(ledger.durableSize > index, `the duplicate was answered with entry ${index} not yet on disk (${ledger.durableSize} entries)`)
    assert.equal(await first, index)
  })

  it("a user's wallet: own balance, credits held for queued jobs, available; the coordinator's figure, unverified, until a checkpoint is", async () => {
    // checkpoints only when the test signs one
    const coord = await fx.coordinator({ checkpointIntervalMs: 600_000 })
    const ledger = coord.ledger
    assert.ok(ledger != null)
    await ledger.checkpoint()
    const client = await fx.client(coord)
    const log = coord.peerId.toString()
    const signal = AbortSignal.timeout(30_000)
    // from the first second: no job, no replica, yet the coordinator is asked
    const first = await wallet(client, { signal })
    assert.equal(first.account, client.peerId.toString())
    assert.deepEqual(first.logs.map(l => [l.log, l.verified, l.balance, l.held, l.available]), [[log, false, '0', '0', '0']])
    // a job that waits (no worker): its price is held
    const price = DEFAULT_POLICY.prices.get('noop') ?? 0n
    const id = await client.jobs.submit({ executor: 'noop', input: 'held' })
    const queued = (await wallet(client, { signal })).logs[0]
    assert.deepEqual([queued.verified, queued.balance, queued.held, queued.heldJobs, queued.available], [false, DEFAULT_POLICY.welcomeGrant.toString(), price.toString(), 1, (DEFAULT_POLICY.welcomeGrant - price).toString()])
    assert.match(walletText(await wallet(client, { signal })), /UNVERIFIED: the coordinator's figure/)
    // a checkpoint reaches the replica: the balance is now the verified one
    await ledger.checkpoint()
    await waitFor(() => (client.replica?.list().find(l => l.log === log)?.verifiedSize ?? 0) === ledger.checkpointSize, 15_000, 'the replica to verify the checkpoint')
    const verified = (await wallet(client, { signal })).logs[0]
    assert.deepEqual([verified.verified, verified.balance, verified.held, verified.available], [true, DEFAULT_POLICY.welcomeGrant.toString(), price.toString(), (DEFAULT_POLICY.welcomeGrant - price).toString()])
    // cancelled: the hold is released
    await client.jobs.cancel(id)
    const after = (await wallet(client, { signal })).logs[0]
    assert.deepEqual([after.held, after.heldJobs, after.available], ['0', 0, DEFAULT_POLICY.welcomeGrant.toString()])
  })

  it('jobs.wait() returns the output and tells each state; with timeoutMs it gives up saying where the job is', async () => {
    const coord = await fx.coordinator()
    const client = await fx.client(coord)
    const signal = AbortSignal.timeout(30_000)
    const early = await client.jobs.submit({ executor: 'noop', input: 'waiting for you' })
    // no worker yet: the wait gives up, the job stays queued
    await assert.rejects(client.jobs.wait(early, { signal, timeoutMs: 300 }), (e: Error) => { assert.equal(e.name, 'WaitTimeoutError'); assert.match(e.message, /after 300 ms: it is still queued \(no worker has taken it yet\)/); return true })
    assert.equal((await client.jobs.status(early)).state, 'queued')
    const [w] = await fx.workers(1, coord)
    const lines: string[] = []
    const done = await client.jobs.wait(early, { signal, onProgress: (_s, line) => { lines.push(line) } })
    assert.equal(done.state, 'succeeded')
    assert.equal(new TextDecoder().decode(done.output), 'waiting for you')
    assert.equal(done.result?.exitCode, 0)
    assert.deepEqual(lines, ['queued, waiting for a worker (up to 3 attempts)', `assigned to ${w.peerId.toString()} (attempt 1 of 3)`, `running on ${w.peerId.toString()}`, `succeeded on ${w.peerId.toString()}`])
  })

  it('entries written under the old rule (0.1.0: no rule recorded, each fee rounded down) still recompute exactly', () => {
    // a 0.1.0 log, encoded by the 0.1.0 codec: prices 1 and 5, fee 500 bps, every fee 0
    const old: Policy = { ...DEFAULT_POLICY, prices: new Map([['noop', 1n], ['wasm', 5n], ['*', 5n]]), feeRounding: 'floor' }
    const { feeRounding: _absent, ...v010Policy } = policyToPb(old)
    const genesis = LedgerEntryV010.encode({ kind: LedgerEntryV010.Kind.POLICY, timeMs: 1n, postings: [], policy: v010Policy, memo: 'genesis policy' })
    // the floor rule is the absent field: today's codec writes the very bytes 0.1.0 wrote
    assert.deepEqual(LedgerEntry.encode(policyEntry(old)), genesis)
    const log = [genesis, ...Array.from({ length: 8 }, (_, i) => LedgerEntryV010.encode(settlement(i, 5n, 0n)))]
    const book = replay(log)
    assert.equal(book.policy.feeRounding, 'floor')
    assert.equal(book.balance(COORD), 0n, 'the old rule lost every fraction, and replaying it says so')
    // positive control: the same log with a fee the old rule did not give fails the replay
    assert.throws(() => replay([genesis, LedgerEntryV010.encode(settlement(0, 5n, 1n))]), (e: Error) => { assert.equal(e.name, 'LedgerInvariantError'); assert.match(e.message, /entry 1: fee 1 .*floor rule/); return true })
  })

  it('the carry rule: fees add up to feeBps of what is charged; a fee off the rule is caught; each POLICY entry starts afresh', () => {
    const carry: Policy = { ...DEFAULT_POLICY, prices: new Map([['*', 5n]]), feeRounding: 'carry' }
    const entries: Uint8Array[] = [LedgerEntry.encode(policyEntry(carry))]
    let carried = 0n
    const fees: bigint[] = []
    for (let i = 0; i < 40; i++) {
      const f = feeOf(carry, 5n, carried)
      carried = f.carry
      fees.push(f.fee)
      entries.push(LedgerEntry.encode(settlement(i, 5n, f.fee)))
    }
    // 5% of 5 is a quarter credit: one credit every fourth job, 10 on 200 charged
    assert.deepEqual(fees.slice(0, 8), [0n, 0n, 0n, 1n, 0n, 0n, 0n, 1n])
    const book = replay(entries)
    assert.equal(book.balance(COORD), 10n)
    assert.equal(book.balance(COORD), (200n * 500n) / 10_000n, 'the treasury has exactly the named share')
    // the floor fee where the carry rule owes a credit (the 4th job) is refused on replay
    const floored = [...entries.slice(0, 4), LedgerEntry.encode(settlement(3, 5n, 0n))]
    assert.throws(() => replay(floored), (e: Error) => { assert.equal(e.name, 'LedgerInvariantError'); assert.match(e.message, /entry 4: fee 0 .*\(1, carry rule\)/); return true })
    // a POLICY entry (any change) starts a new fee period: the carried fraction does not cross it
    const reset = [...entries.slice(0, 4), LedgerEntry.encode(policyEntry({ ...carry, welcomeGrant: 1n })), LedgerEntry.encode(settlement(3, 5n, 0n))]
    assert.equal(replay(reset).balance(COORD), 0n)
  })

  it('a coordinator on the default policy: the treasury receives the policy fee of everything charged, and the log audits', async () => {
    const coord = await fx.coordinator({ checkpointIntervalMs: 200 })
    const client = await fx.client(coord)
    const ledger = coord.ledger
    assert.ok(ledger != null)
    const ids: string[] = []
    // a queue before any worker: demand pricing makes prices (20 + 1 per 5 queued) that 5% does not divide
    for (let i = 0; i < 30; i++) ids.push(await client.jobs.submit({ executor: 'noop', input: `fee ${i}` }))
    await fx.workers(2, coord)
    for (const id of ids) assert.equal((await client.jobs.wait(id, { signal: AbortSignal.timeout(30_000) })).state, 'succeeded')
    await ledger.checkpoint()
    const json = []
    for (let i = 0; i < ledger.checkpointSize; i++) json.push(entryToJson(i, await ledger.entry(i)))
    const settlements = json.filter(e => e.settlement != null)
    assert.equal(settlements.length, ids.length)
    const charged = settlements.reduce((a, e) => a + BigInt(e.settlement?.price ?? 0), 0n)
    assert.ok(settlements.some(e => BigInt(e.settlement?.price ?? 0) % 20n !== 0n), 'some price was demand-adjusted')
    assert.equal(ledger.book.balance(coord.peerId.toString()), (charged * 500n) / 10_000n, 'the fees are 5% of what was charged')
    assert.equal(json[0].policy?.feeRounding, 'carry', 'the genesis policy records its rounding rule')
    // the offline audit replays every fee under the rule recorded in the log
    const report = await auditLog(await ledger.latestCheckpoint(), ledger.noteKey, entriesFromJson([json], ledger.checkpointSize))
    assert.equal(report.entries, ledger.checkpointSize)
  })
})
