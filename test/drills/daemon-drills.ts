// The fault drills on running daemons, on separate network namespaces (userspace link emulator)
// when the machine allows it, else on loopback: kill -9 of a worker and of the coordinator, a
// partitioned worker, 5% loss with 100 ms delay, and a soak with heap and file descriptors bounded.
import assert from 'node:assert/strict'
import { waitFor } from '../helpers.js'
import { DrillMesh } from './mesh.js'
import { checkInvariants, assertPrefixOf } from './invariants.js'
import { netnsUnavailable, type NetnsTopology } from './topology.js'
import { sampleProcess, assertBounded, type ProcSample } from './proc-stats.js'
import type { DrillProfile } from './profile.js'
import { LEASE_MS, logLine, nodeOf, sleep, submitMix, summary, waitRunning } from './support.js'

/** Registers the daemon drills (one describe per network kind) inside the caller's describe. */
export function registerDaemonDrills (profile: DrillProfile): void {
  for (const kind of ['netns', 'loopback'] as const) {
    describe(`daemons on ${kind === 'netns' ? 'separate network namespaces (userspace link emulator)' : 'loopback'}`, function () {
      let mesh: DrillMesh | undefined
      let skipReason: string | undefined

      before(async function () {
        skipReason = await netnsUnavailable()
        // netns when the machine allows it; loopback only as the fallback (or in the full run, both)
        if (kind === 'netns' && skipReason != null) {
          process.stdout.write(`      [drill] network-namespace drills skipped: ${skipReason}\n`)
          this.skip()
        }
        if (kind === 'loopback' && skipReason == null && profile.name === 'short') {
          process.stdout.write('      [drill] loopback drills skipped: the same drills run on network namespaces here\n')
          this.skip()
        }
        mesh = await DrillMesh.create(kind)
        const m = mesh
        const c = await m.addNode('coord', 'coordinator', { leaseMs: LEASE_MS })
        await m.start(c)
        for (let i = 1; i <= profile.workers; i++) {
          const w = await m.addNode(`w${i}`, 'worker', { slots: 2, allowCommands: ['false'] })
          await m.start(w)
        }
      })

      afterEach(function () {
        if (this.currentTest?.state === 'failed' && mesh != null) {
          for (const n of mesh.nodes) process.stdout.write(mesh.tail(n, 15) + '\n')
          process.stdout.write(`      [drill] files kept in ${mesh.root}\n`)
        }
      })

      after(async function () {
        const failed = this.test?.parent?.tests.some(t => t.state === 'failed') === true
        await mesh?.close({ keepFiles: failed })
      })

      const m = (): DrillMesh => mesh as DrillMesh

      it('kill -9 a worker mid-job: the job completes elsewhere, settled once', async function () {
        const t0 = Date.now()
        const long = await m().submitApi({ executor: 'noop', input: 'long', delayMs: 4000, timeoutMs: 60_000, label: 'kill-worker' })
        const s = await waitRunning(m(), long)
        const victim = nodeOf(m(), s.attempts.at(-1)?.worker)
        assert.ok(victim != null, `job runs on an unknown worker ${String(s.attempts.at(-1)?.worker)}`)
        await m().kill(victim, 'SIGKILL')
        await submitMix(m(), profile.jobs, 'kw')
        await waitFor(async () => (await m().status(long)).state === 'succeeded', 60_000, 'the long job to succeed elsewhere')
        const done = await m().status(long)
        assert.equal(done.attempts[0].worker, victim.peerId)
        assert.equal(done.attempts[0].outcome, 'lease-expired')
        const winner = done.attempts.find(a => a.outcome === 'succeeded')
        assert.ok(winner != null && winner.worker !== victim.peerId, 'the job completed on another worker')
        // the killed worker comes back with its replica intact
        await m().start(victim)
        summary('kill -9 worker', t0, await checkInvariants(m()))
      })

      it('kill -9 the coordinator and restart: no job lost, none settled twice, ledger consistent with earlier checkpoints', async function () {
        const t0 = Date.now()
        const c = m().coordinator
        const before = await m().api<{ size: number, root: string }>(c, 'POST', '/v1/ledger/verify')
        assert.ok(before.size > 1, 'earlier drills left settlements in the log')
        // a replica's view from before the crash must stay a prefix of the log after it
        const holders = await Promise.all(m().workers.map(async n => ({ n, logs: (await m().api<{ logs: Array<{ log: string }> }>(n, 'GET', '/v1/ledger/logs')).logs })))
        const w = holders.find(h => h.logs.some(l => l.log === c.peerId))?.n
        assert.ok(w != null, 'a worker paid in the earlier drill holds a replica')
        const replicaBefore = await m().api<{ size: number, root: string }>(w, 'POST', `/v1/ledger/verify?log=${c.peerId}`)
        const long = await m().submitApi({ executor: 'noop', input: 'across-restart', delayMs: 2500, timeoutMs: 60_000, label: 'kill-coord-long' })
        await waitRunning(m(), long)
        // a queue in flight at the moment of the crash
        await Promise.all(Array.from({ length: profile.jobs * 2 }, async (_, i) => await m().submitApi({ executor: 'noop', input: `kc-${i}`, delayMs: 300, label: 'kill-coord' })))
        await m().kill(c, 'SIGKILL')
        await sleep(500)
        await m().start(c)
        const r = await checkInvariants(m(), { timeoutMs: 90_000 })
        await assertPrefixOf(m(), before.size, before.root, 'the checkpoint before the crash')
        await assertPrefixOf(m(), replicaBefore.size, replicaBefore.root, `${w.name}'s checkpoint before the crash`)
        const after = await m().api<{ size: number }>(c, 'POST', '/v1/ledger/verify')
        assert.ok(after.size > before.size, 'the restarted coordinator went on appending')
        summary('kill -9 coordinator', t0, r)
      })

      it('partition a worker: lease expires, job reassigned, the late result refused and unpaid', async function () {
        if (kind !== 'netns') this.skip()
        const t0 = Date.now()
        const topo = m().topo as NetnsTopology
        const job = await m().submitApi({ executor: 'noop', input: 'partitioned', delayMs: 4000, timeoutMs: 60_000, label: 'partition' })
        const s = await waitRunning(m(), job)
        const victim = nodeOf(m(), s.attempts.at(-1)?.worker)
        assert.ok(victim != null)
        // cut the link while the job still runs, so the worker finishes it inside the partition
        await sleep(1_500)
        await topo.impair(victim.host, { blackhole: true })
        const logFrom = victim.logs.length
        let healed = false
        try {
          await waitFor(async () => {
            const st = await m().status(job)
            return st.attempts.some(a => a.worker !== victim.peerId && a.outcome === 'succeeded')
          }, 60_000, 'the job to be reassigned and completed by another worker')
          assert.ok(logLine(victim.logs.slice(logFrom), 'job finished', job), 'the partitioned worker finished its attempt')
          await topo.impair(victim.host, {})
          healed = true
          // the worker keeps retrying its result; once the link is back the coordinator refuses it
          await waitFor(() => logLine(victim.logs.slice(logFrom), 'result refused', job) != null, 60_000, 'the late result to be refused')
        } finally {
          if (!healed) await topo.impair(victim.host, {})
        }
        const st = await m().status(job)
        assert.equal(st.state, 'succeeded')
        assert.equal(st.attempts[0].worker, victim.peerId)
        assert.equal(st.attempts[0].outcome, 'lease-expired')
        const { receipts } = await m().api<{ receipts: Array<{ jobId: string }> }>(victim, 'GET', '/v1/ledger/receipts')
        assert.ok(!receipts.some(r => r.jobId === job), 'the partitioned worker holds no receipt for the refused result')
        // the settlement goes to the winner: checked for every job by the invariants
        summary('partition', t0, await checkInvariants(m()))
      })

      it('5% loss and 100 ms delay on every worker link: jobs still complete', async function () {
        if (kind !== 'netns' || !profile.long) this.skip()
        const t0 = Date.now()
        const topo = m().topo as NetnsTopology
        const before = await topo.stats()
        for (const w of m().workers) await topo.impair(w.host, { loss: 0.05, delayMs: 100 })
        try {
          const { peers } = await m().api<{ peers: Array<{ peerId: string, latencyMs?: number }> }>(m().coordinator, 'GET', '/v1/peers')
          const lat = peers.filter(p => nodeOf(m(), p.peerId) != null).map(p => p.latencyMs ?? 0)
          assert.ok(lat.length > 0 && Math.max(...lat) >= 190, `ping over an impaired link should take >= 200 ms, got ${JSON.stringify(lat)}`)
          await submitMix(m(), Math.max(profile.jobs * 2, 4), 'lossy')
          const r = await checkInvariants(m(), { timeoutMs: 120_000 })
          const after = await topo.stats()
          const dropped = m().workers.reduce((n, w) => n + (after[w.name]?.dropped ?? 0) - (before[w.name]?.dropped ?? 0), 0)
          assert.ok(dropped > 0, 'the emulator dropped packets on the impaired links')
          summary(`loss+delay (${dropped} packets dropped)`, t0, r)
        } finally {
          for (const w of m().workers) await topo.impair(w.host, {})
        }
      })

      it('soak: heap and file descriptors stay bounded', async function () {
        // once per run: on namespaces when they work, else on loopback
        if (!profile.long || (kind === 'loopback' && skipReason == null)) this.skip()
        const t0 = Date.now()
        const samples = new Map<string, ProcSample[]>()
        const sample = async (): Promise<void> => {
          for (const [name, pid] of Object.entries(m().pids())) {
            const s = await sampleProcess(pid, m().reportDir(name))
            if (s != null) samples.set(name, [...(samples.get(name) ?? []), s])
          }
        }
        // submitters: the coordinator and two client nodes submitting over the mesh; each account
        // starts with the welcome grant, so the rate is paced to stay within it for any soak length
        const submitters = [m().coordinator]
        for (const name of ['client1', 'client2']) {
          const cl = m().nodes.find(n => n.name === name) ?? await m().addNode(name, 'client')
          if (!m().running(cl)) await m().start(cl)
          submitters.push(cl)
        }
        const budget = submitters.length * 600
        const perBatch = 3
        const pauseMs = Math.max(500, Math.ceil(profile.soakMs / (budget / perBatch)))
        // warm-up: let each daemon reach its working set before the first sample counts
        await submitMix(m(), 4, 'warm')
        await m().settleAll(60_000)
        await sample()
        let i = 0
        const deadline = Date.now() + profile.soakMs
        let nextSample = Date.now() + Math.max(2_000, Math.floor(profile.soakMs / 20))
        while (Date.now() < deadline) {
          // a steady trickle in small batches, so the queue never grows without bound
          await Promise.all(Array.from({ length: perBatch }, async (_, k) => await m().submitApi({ executor: 'noop', input: `soak-${i}-${k}`, label: 'soak' }, submitters[(i + k) % submitters.length])))
          await sleep(pauseMs)
          i++
          if (Date.now() >= nextSample) {
            await sample()
            nextSample = Date.now() + Math.max(2_000, Math.floor(profile.soakMs / 20))
          }
        }
        const r = await checkInvariants(m(), { timeoutMs: 120_000 })
        await sample()
        const report: string[] = []
        for (const [name, list] of samples) report.push(assertBounded(name, list))
        summary(`soak ${Math.round(profile.soakMs / 1000)} s, ${i * perBatch} jobs`, t0, r)
        process.stdout.write(report.map(l => `      [drill]   ${l}`).join('\n') + '\n')
      })
    })
  }
}
