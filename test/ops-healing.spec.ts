// Self-healing and operator state with real in-process nodes on loopback and real LevelDB:
// persistence across restarts, quarantine after repeated failures and return after a probe job,
// the stuck-job detector, dead letters, and the explainer.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { Fixture, waitFor, MESH } from './helpers.js'
import { createNode } from '../src/node/create-node.js'
import type { Executor, ExecutionOutcome } from '../src/executors/types.js'
import { OperatorState, type HistoryEntry } from '../src/ops/operator-state.js'

const enc = new TextEncoder()
const outcome = (text: string): ExecutionOutcome => ({ exitCode: 0, output: enc.encode(text), stderr: new Uint8Array(0), wallMs: 1, cpuMs: 0, maxRssKb: 0 })

/** An app executor: works on one worker, always throws on the other. */
function taskExecutor (works: boolean): Executor {
  return {
    name: 'task',
    async execute (req) {
      await new Promise(resolve => setTimeout(resolve, 30))
      if (!works) throw new Error('disk full')
      return outcome(new TextDecoder().decode(req.input))
    }
  }
}

describe('operations: self-healing and operator state (in-process nodes)', function () {
  this.timeout(120_000)
  const fx = new Fixture()
  afterEach(async () => { await fx.cleanup() })

  it('operator state survives a coordinator restart; expiry and bad input are handled', async () => {
    const dir = await fx.dir()
    const key = await generateKeyPair('Ed25519')
    const w1 = peerIdFromPublicKey((await generateKeyPair('Ed25519')).publicKey).toString()
    const w2 = peerIdFromPublicKey((await generateKeyPair('Ed25519')).publicKey).toString()
    let c = await createNode({ role: 'coordinator', meshId: MESH, dataDir: dir, privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'] })
    fx.nodes.push(c)
    await c.ops.apply({ kind: 'pause', reason: 'integrity check' })
    await c.ops.apply({ kind: 'drain', peer: w1 })
    await c.ops.apply({ kind: 'isolate', peer: w2, forMs: 1_500 })
    assert.equal(c.coordinator?.isPaused, true)
    await assert.rejects(c.ops.apply({ kind: 'drain', peer: 'not-a-peer' }), { name: 'InvalidArgumentError' })
    await assert.rejects(c.ops.apply({ kind: 'resume', staged: { steps: 0 } }), { name: 'InvalidArgumentError' })
    await c.stop()

    c = await createNode({ role: 'coordinator', meshId: MESH, dataDir: dir, privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'] })
    fx.nodes.push(c)
    assert.equal(c.ops.state.paused, true, 'pause survives the restart')
    assert.equal(c.coordinator?.isPaused, true, 'and reaches the coordinator')
    assert.ok(c.ops.state.peerState(w1)?.drain != null, 'drain survives')
    assert.equal(c.ops.state.isDenied(w2), true, 'isolation survives')
    assert.deepEqual(c.ops.state.history().map(h => h.action), ['pause', 'drain', 'isolate'])
    await waitFor(() => !c.ops.state.isDenied(w2), 5_000, 'isolation to expire')
    await waitFor(() => c.ops.state.history().some(h => h.action === 'isolation-ended' && h.peer === w2), 2_000, 'expiry recorded')
    await c.ops.apply({ kind: 'return', peer: w1 })
    await assert.rejects(c.ops.apply({ kind: 'return', peer: w1 }), { name: 'UnknownNodeError' })
    await c.ops.apply({ kind: 'resume' })
    assert.equal(c.coordinator?.isPaused, false)
    // a worker has no queue to pause
    const w = await fx.node({ role: 'worker' })
    await assert.rejects(w.ops.apply({ kind: 'pause' }), { name: 'NotCoordinatorError' })
  })

  it('a worker that fails repeatedly is quarantined, gets no work, and returns after a successful probe', async () => {
    const c = await fx.coordinator({ ops: { quarantineAfter: 2, quarantineMs: 1_500, tickMs: 100 } })
    const [bad] = await fx.workers(1, c, { executors: [taskExecutor(false)], slots: 1 })
    const badId = bad.peerId.toString()
    // only the failing worker at first, so its failures come quickly
    const ids: string[] = []
    for (let i = 0; i < 4; i++) ids.push(await c.jobs.submit({ executor: 'task', input: `t${i}`, maxAttempts: 10 }))
    await waitFor(() => c.ops.state.peerState(badId)?.quarantine != null, 20_000, 'quarantine')
    const quarantinedAt = Date.now()
    const q = c.ops.state.peerState(badId)?.quarantine
    assert.match(q?.reason ?? '', /2 failed attempts in a row.*disk full/)
    const nodes = await c.ops.nodes()
    const row = nodes.find(n => n.peerId === badId)
    assert.equal(row?.consecutiveFailures, 2)
    assert.equal(row?.failureRate, 1)

    // a healthy worker joins: the queue drains through it alone
    const [good] = await fx.workers(1, c, { executors: [taskExecutor(true)], slots: 2 })
    const goodId = good.peerId.toString()
    // the probe (a noop job pinned to the quarantined worker) runs after the cooldown and lets it back
    await waitFor(() => c.ops.state.history().some(h => h.action === 'release' && h.peer === badId), 20_000, 'probe to pass and release the worker')
    const hist = c.ops.state.history()
    const probeEntry = hist.find(h => h.action === 'probe-submitted' && h.peer === badId) as HistoryEntry
    assert.ok(probeEntry?.jobId != null, 'probe job recorded')
    const probe = await c.jobs.status(probeEntry.jobId as string)
    assert.equal(probe.state, 'succeeded')
    assert.equal(probe.attempts[0].worker, badId, 'the probe ran on the quarantined worker')
    assert.equal(c.ops.state.peerState(badId), undefined, 'back in service')
    const releasedAt = hist.find(h => h.action === 'release')?.at ?? 0
    assert.ok(releasedAt - quarantinedAt >= 1_000, 'returned only after the cooldown')

    await waitFor(async () => (await Promise.all(ids.map(async id => await c.jobs.status(id)))).every(s => s.state === 'succeeded'), 30_000, 'every task to succeed')
    for (const id of ids) {
      const s = await c.jobs.status(id)
      // while quarantined, no task went to the failing worker
      for (const a of s.attempts) {
        const t = Number(a.assignedAtMs)
        if (a.worker === badId) assert.ok(t < quarantinedAt || t > releasedAt, `task ${id} attempt ${a.attempt} assigned to the quarantined worker`)
      }
      assert.equal(s.attempts.at(-1)?.worker, goodId)
    }
    const metrics = (await c.ops.metrics.text()).body
    assert.match(metrics, /edgecoder_self_healing_actions_total\{action="quarantine"\} 1/)
    assert.match(metrics, /edgecoder_self_healing_actions_total\{action="probe-passed"\} 1/)
  })

  it('the stuck-job detector revokes a job leased past its timeout, records it, and the job dead-letters; an unplaceable job is explained and re-announced', async () => {
    let release!: () => void
    const released = new Promise<void>(resolve => { release = resolve })
    // a broken app executor: ignores its timeout and its abort signal
    const hang: Executor = { name: 'hang', execute: async () => { await released; return outcome('late') } }
    const c = await fx.coordinator({ leaseMs: 1_000, ops: { stuckGraceMs: 300, stuckQueuedMs: 600, tickMs: 100 } })
    const [w] = await fx.workers(1, c, { executors: [hang], slots: 1, offer: ['hang', 'noop'] })
    try {
      const stuck = await c.jobs.submit({ executor: 'hang', timeoutMs: 400, maxAttempts: 1 })
      const lonely = await c.jobs.submit({ executor: 'wasm', module: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), maxAttempts: 1 })
      await waitFor(async () => (await c.jobs.status(stuck)).state === 'failed', 15_000, 'the stuck job to be revoked')
      const s = await c.jobs.status(stuck)
      assert.match(s.reason, /stuck: still leased/)
      assert.equal(s.attempts[0].outcome, 'failed')
      // the detector notes what it did just after the revocation lands
      await waitFor(() => c.ops.state.history().some(h => h.action === 'stuck-revoked' && h.jobId === stuck), 5_000, 'the detector to record what it did')
      const acted = c.ops.state.history().find(h => h.action === 'stuck-revoked' && h.jobId === stuck)
      assert.ok(acted != null, 'the detector recorded what it did')
      assert.equal(acted.peer, w.peerId.toString())
      const dead = await c.ops.deadLetters()
      assert.deepEqual(dead.map(d => d.id), [stuck])
      assert.match(dead[0].reason, /failed after 1 attempt/)

      // nobody offers wasm: the detector says so and announces it again
      await waitFor(() => c.ops.state.history().some(h => h.action === 'stuck-reannounced' && h.jobId === lonely), 10_000, 'the unplaceable job to be acted on')
      const note = c.ops.state.history().find(h => h.action === 'stuck-reannounced' && h.jobId === lonely)
      assert.match(note?.detail ?? '', /no eligible worker/)
      const e = await c.ops.explain(lonely)
      assert.equal(e.state, 'queued')
      const verdict = e.workers.find(x => x.peer === w.peerId.toString())
      assert.equal(verdict?.verdict, 'excluded')
      assert.ok(verdict?.reasons.some(r => /capability: does not offer executor wasm \(offers .*hang/.test(r)), JSON.stringify(verdict))
      assert.match(e.facts.join('\n'), /no worker is eligible/)
      const m = (await c.ops.metrics.text()).body
      assert.match(m, /edgecoder_dead_letters_total 1/)
      assert.match(m, /edgecoder_self_healing_actions_total\{action="stuck-revoked"\} 1/)
    } finally {
      release()
    }
  })
})

describe('staged ramp token bucket', () => {
  it('a token is taken when an assignment begins: claims that wake together pass one at a time', async () => {
    let saved = ''
    const state = new OperatorState({ load: async () => undefined, save: async (t) => { saved = t } })
    const t0 = 1_000_000
    await state.apply({ kind: 'resume', staged: { initialPerSec: 2, stepMs: 10_000, steps: 2 } }, t0)
    assert.ok(saved.includes('"ramp"'), 'the ramp is persisted')
    // two parked claims see the same full bucket; the first reserves before its signing await
    assert.equal(state.rampAllows(t0), undefined)
    const undo = state.reserve()
    assert.match(state.rampAllows(t0) ?? '', /limited to 2\/s/, 'the second claim is held while the first signs')
    // the first lost its job to another claim: the token comes back, once
    undo(); undo()
    assert.equal(state.rampAllows(t0), undefined)
    state.reserve()
    assert.notEqual(state.rampAllows(t0 + 100), undefined, 'a fifth of a token after 100 ms at 2/s')
    assert.equal(state.rampAllows(t0 + 500), undefined, 'a whole token after 500 ms')
    // after the ramp nothing is limited and reserving takes nothing
    await state.apply({ kind: 'resume' }, t0 + 600)
    state.reserve()
    assert.equal(state.rampAllows(t0 + 600), undefined)
  })
})
