// Fault drills on real daemons in separate OS processes (and, as root, separate network namespaces):
// kill -9 of a worker and of the coordinator, a partitioned worker, a lossy slow network, a full or
// read-only data dir, and a soak. Every drill ends with the invariants in invariants.ts.
// `registerDrills('short')` is the version `npm test` runs; `npm run drills` runs the full one.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { waitFor } from '../helpers.js'
import { DrillMesh, type DrillNode, type JobJson } from './mesh.js'
import { checkInvariants, assertPrefixOf, type InvariantReport } from './invariants.js'
import { netnsUnavailable, NetnsTopology } from './topology.js'
import { sampleProcess, assertBounded, type ProcSample } from './proc-stats.js'

const run = promisify(execFile)

export interface DrillProfile {
  name: 'short' | 'full'
  /** quick jobs submitted around each fault */
  jobs: number
  /** how long the soak submits work */
  soakMs: number
  /** workers in the mesh */
  workers: number
  /** the drills that need more time than `npm test` should take: loss/delay, soak, full disk */
  long: boolean
}

export function profileFromEnv (name: 'short' | 'full'): DrillProfile {
  if (name === 'short') return { name, jobs: 3, soakMs: 0, workers: 2, long: false }
  const minutes = Number(process.env.DRILL_SOAK_MINUTES ?? '3')
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error('DRILL_SOAK_MINUTES must be a positive number')
  return { name, jobs: 12, soakMs: Math.round(minutes * 60_000), workers: 3, long: true }
}

const LEASE_MS = 3_000
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function summary (what: string, t0: number, r: InvariantReport): void {
  const s = ((Date.now() - t0) / 1000).toFixed(1)
  process.stdout.write(`      [drill] ${what}: ${s} s; submitted ${r.submitted} = succeeded ${r.succeeded} + failed ${r.failedWithReason}; ${r.settlements} settlements; replicas verified: ${r.replicasVerified.join(', ') || '-'}${r.replicasWithoutLog.length > 0 ? `; no log yet: ${r.replicasWithoutLog.join(', ')}` : ''}\n`)
}

/** Submits quick jobs of every kind that ends a job: success, a failing program, an executor error. */
async function submitMix (mesh: DrillMesh, n: number, tag: string): Promise<string[]> {
  const ids: string[] = []
  // the first through the CLI as a user would, the rest straight to the control API (a CLI process
  // costs a second or two on a busy two-core machine)
  ids.push(await mesh.submit(['--executor', 'noop', '--input', `${tag}-cli`, '--label', `${tag}-cli`]))
  for (let i = 1; i < n; i++) {
    const k = i % 3
    if (k === 1) ids.push(await mesh.submitApi({ executor: 'process', args: ['false'], label: `${tag}-exit1-${i}` }))
    else if (k === 2) ids.push(await mesh.submitApi({ executor: 'process', args: ['not-allowed-here'], maxAttempts: 1, label: `${tag}-refused-${i}` }))
    else ids.push(await mesh.submitApi({ executor: 'noop', input: `${tag}-${i}`, delayMs: 150, label: `${tag}-${i}` }))
  }
  return ids
}

/** The first JSON log line with this message about this job. */
function logLine (logs: string, msg: string, jobId: string): Record<string, unknown> | undefined {
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      const o = JSON.parse(line) as Record<string, unknown>
      if (o.msg === msg && o.jobId === jobId) return o
    } catch {}
  }
  return undefined
}

function nodeOf (mesh: DrillMesh, peerId: string | undefined): DrillNode | undefined {
  return mesh.workers.find(w => w.peerId === peerId)
}

async function waitRunning (mesh: DrillMesh, id: string, timeoutMs = 20_000): Promise<JobJson> {
  let s: JobJson | undefined
  await waitFor(async () => {
    s = await mesh.status(id)
    return s.state === 'running'
  }, timeoutMs, `job ${id.slice(0, 12)} to run`)
  return s as JobJson
}

export function registerDrills (profile: DrillProfile): void {
  describe(`fault drills (${profile.name})`, function () {
    this.timeout(Math.max(600_000, profile.soakMs * 3))

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

    describe('data dir faults', function () {
      let mesh: DrillMesh | undefined
      const mounts: string[] = []
      let skipReason: string | undefined

      before(async function () {
        skipReason = process.getuid?.() !== 0 ? 'not root (tmpfs and read-only bind mounts need CAP_SYS_ADMIN)' : undefined
        if (skipReason == null) {
          try { await run('mount', ['--version']) } catch { skipReason = '`mount` is not installed' }
        }
        if (skipReason != null) {
          process.stdout.write(`      [drill] data dir drills skipped: ${skipReason}\n`)
          this.skip()
        }
        mesh = await DrillMesh.create('loopback')
        // the coordinator's data dir on a small disk of its own, which the full-disk drill fills up
        const mnt = join(mesh.root, 'small-disk')
        await mkdir(mnt)
        await run('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt])
        mounts.push(mnt)
        const c = await mesh.addNode('coord', 'coordinator', { leaseMs: LEASE_MS, dataDir: join(mnt, 'coord') })
        await mesh.start(c)
        const w = await mesh.addNode('w1', 'worker', { slots: 2, allowCommands: ['false'] })
        await mesh.start(w)
      })

      afterEach(function () {
        if (this.currentTest?.state === 'failed' && mesh != null) {
          for (const n of mesh.nodes) process.stdout.write(mesh.tail(n, 20) + '\n')
        }
      })

      after(async function () {
        // daemons first (they hold files on the mounts), then the mounts, then the files
        for (const n of mesh?.nodes ?? []) await mesh?.kill(n, 'SIGKILL')
        for (const mnt of mounts.reverse()) await run('umount', ['-l', mnt]).catch(() => {})
        await mesh?.close()
      })

      const m = (): DrillMesh => mesh as DrillMesh

      it('full data dir: a clear error, nothing corrupted, and everything settles after space is freed', async function () {
        if (!profile.long) this.skip()
        const t0 = Date.now()
        const c = m().coordinator
        const mnt = join(m().root, 'small-disk')
        await submitMix(m(), 3, 'pre-full')
        await m().settleAll(60_000)
        const running = await m().submit(['--executor', 'noop', '--input', 'finishing-on-a-full-disk', '--delay-ms', '2500', '--label', 'full-disk-running'])
        await waitRunning(m(), running)

        const filler = join(mnt, 'filler')
        await fillDisk(filler)
        // a submission now cannot be stored: it must be refused with a clear error, not accepted. Its
        // input is larger than a filesystem block: a small record could still fit in the slack of
        // a block the job store's log already holds, and be stored on a full disk
        const refused = await m().cli(c, ['jobs', 'submit', '--executor', 'noop', '--input', `no-room-${'x'.repeat(64 * 1024)}`])
        assert.equal(refused.code, 1, `a submission on a full disk must fail: ${refused.stdout}`)
        assert.equal(refused.stderr.trim().split('\n').length, 1, `one line, no stack trace: ${refused.stderr}`)
        assert.match(refused.stderr, /no space left|disk.*full|ENOSPC/i, 'the error says the disk is full')
        assert.doesNotMatch(refused.stderr, /unexpected error/)
        // the running job's result arrives while the disk is full
        await sleep(4_000)
        await unlink(filler)
        // the operator restarts the coordinator once there is room again
        await m().kill(c, 'SIGTERM')
        await m().start(c)
        await submitMix(m(), 2, 'post-full')
        const r = await checkInvariants(m(), { timeoutMs: 90_000 })
        assert.equal((await m().status(running)).state, 'succeeded')
        summary('full disk', t0, r)
      })

      it('read-only data dir: start fails with one clear line and changes nothing', async function () {
        const t0 = Date.now()
        const c = m().coordinator
        await submitMix(m(), 3, 'pre-ro')
        await m().settleAll(60_000)
        await m().kill(c, 'SIGTERM')
        const before = await snapshot(c.dataDir)
        await run('mount', ['--bind', c.dataDir, c.dataDir])
        mounts.push(c.dataDir)
        await run('mount', ['-o', 'remount,bind,ro', c.dataDir])
        const r = await m().cli(c, ['start', '--role', 'coordinator', '--listen', `/ip4/${c.host.ip}/tcp/${c.host.port}`], 30_000)
        assert.equal(r.code, 1, `start on a read-only data dir must fail: ${r.stdout}${r.stderr}`)
        assert.equal(r.stderr.trim().split('\n').length, 1, `one line, no stack trace: ${r.stderr}`)
        assert.match(r.stderr, /read-only/i, 'the error says the data dir is read-only')
        await run('umount', [c.dataDir])
        mounts.pop()
        assert.deepEqual(await snapshot(c.dataDir), before, 'nothing in the data dir changed')
        await m().start(c)
        const rep = await checkInvariants(m(), { timeoutMs: 60_000 })
        summary('read-only data dir', t0, rep)
      })
    })
  })
}

/** Writes until the filesystem is full. */
async function fillDisk (path: string): Promise<void> {
  const fh = await open(path, 'w')
  try {
    for (const size of [1 << 20, 64 << 10, 4 << 10, 512]) {
      const chunk = Buffer.alloc(size, 0x5a)
      for (;;) {
        try { await fh.write(chunk) } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break
          throw err
        }
      }
    }
  } finally {
    await fh.close().catch(() => {})
  }
  assert.ok((await stat(path)).size > 0)
}

/** Every file under dir with its size and SHA-256 (LOCK files excluded: LevelDB rewrites them empty). */
async function snapshot (dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      const r = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) await walk(p, r)
      else out[r] = createHash('sha256').update(await readFile(p)).digest('hex')
    }
  }
  await walk(dir, '')
  return out
}

