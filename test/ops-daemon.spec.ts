// The operations surface against real daemons in separate processes, driven the way an operator
// does: the four HTTP endpoints (and promtool on /metrics), pause, drain, isolate, staged resume,
// jobs explain, JSON logs, and backup/restore of a busy coordinator.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFile, writeFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Fixture, waitFor, freePort } from './helpers.js'
import { cli, cliJson, gatedConnections, startDaemon, stopDaemon, type Daemon } from './cli-helpers.js'
import { openNote, parseCheckpoint } from '../src/ledger/merkle/checkpoint.js'
import { verifyConsistency } from '../src/ledger/merkle/hash.js'

interface JobJson { id: string, state: string, reason?: string, attempts: Array<{ worker: string, outcome: string, assignedAt: string }>, timestamps: Array<{ state: string, at: string }> }
interface Status {
  role: string
  peerId: string
  peers: Record<string, number>
  paused: boolean
  draining: boolean
  ramp: { step: number, steps: number, ratePerSec: number } | null
  queue?: Record<string, number>
  workers?: { active: string[], pending: string[] }
  assignmentRatePerSec?: number
  failureRates?: { overall: number | null, byWorker: Record<string, number> }
  ledger?: { height: number, checkpointSize: number, lastCheckpointAgeSec: number | null }
  worker?: { running: number, freeSlots: number, coordinators: string[] }
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('operations surface against running daemons', function () {
  this.timeout(300_000)
  const fx = new Fixture()
  const daemons: Daemon[] = []
  let cdir: string, w1dir: string, w2dir: string
  let port: number
  let coord: Daemon
  let W1: string, W2: string, C: string
  after(async () => {
    for (const d of daemons) await stopDaemon(d, 'SIGKILL')
    await fx.cleanup()
  })

  const apiOf = async (dir: string): Promise<{ url: string, token: string }> => JSON.parse(await readFile(join(dir, 'api.json'), 'utf8')) as { url: string, token: string }
  const api = async <T>(dir: string, method: string, path: string, body?: unknown): Promise<T> => {
    const a = await apiOf(dir)
    const r = await fetch(a.url + path, { method, headers: { authorization: `Bearer ${a.token}` }, body: body != null ? JSON.stringify(body) : undefined })
    const text = await r.text()
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
    return (r.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) as T : text as T
  }
  const status = async (dir: string): Promise<Status> => await api<Status>(dir, 'GET', '/status')
  const submit = async (body: Record<string, unknown>): Promise<string> => (await api<{ id: string }>(cdir, 'POST', '/v1/jobs', { executor: 'noop', ...body })).id
  const job = async (id: string): Promise<JobJson> => await api<JobJson>(cdir, 'GET', `/v1/jobs/${id}`)
  const ops = async (args: string[]): Promise<string> => {
    const r = await cli([...args, '--data-dir', cdir])
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }
  const allDone = async (ids: string[]): Promise<boolean> => (await Promise.all(ids.map(job))).every(j => j.state === 'succeeded')

  before(async () => {
    const root = await fx.dir()
    cdir = join(root, 'coordinator')
    w1dir = join(root, 'worker1')
    w2dir = join(root, 'worker2')
    C = (await cliJson<{ peerId: string }>(['init', '--data-dir', cdir, '--role', 'coordinator'])).peerId
    W1 = (await cliJson<{ peerId: string }>(['init', '--data-dir', w1dir, '--role', 'worker'])).peerId
    W2 = (await cliJson<{ peerId: string }>(['init', '--data-dir', w2dir, '--role', 'worker'])).peerId
    // the second worker runs noop jobs only
    const cfg = JSON.parse(await readFile(join(w2dir, 'config.json'), 'utf8')) as Record<string, unknown>
    await writeFile(join(w2dir, 'config.json'), JSON.stringify({ ...cfg, executors: ['noop'] }))
    port = await freePort()
    coord = await startDaemon(cdir, ['--listen', `/ip4/127.0.0.1/tcp/${port}`, '--http', `127.0.0.1:${await freePort()}`])
    daemons.push(coord)
    const boot = join(cdir, 'bootstrap.json')
    // the first worker may run `true` with the process executor: the one worker able to take such a job
    daemons.push(await startDaemon(w1dir, ['--bootstrap', boot, '--slots', '1', '--listen', '/ip4/127.0.0.1/tcp/0', '--allow-command', 'true']))
    daemons.push(await startDaemon(w2dir, ['--bootstrap', boot, '--slots', '1', '--listen', '/ip4/127.0.0.1/tcp/0']))
    await waitFor(async () => (await status(cdir)).workers?.active.length === 2, 30_000, 'both workers in service')
  })

  it('answers /health, /ready, /status and /metrics; logs are JSON lines with correlation fields', async () => {
    const a = await apiOf(cdir)
    const health = await fetch(`${a.url}/health`)
    assert.equal(health.status, 200)
    assert.equal(((await health.json()) as { status: string }).status, 'ok')
    const ready = await fetch(`${a.url}/ready`)
    assert.equal(ready.status, 200, await ready.clone().text())
    assert.deepEqual(await ready.json(), { ready: true, reasons: [] })
    // the /v1 API still wants the credential
    assert.equal((await fetch(`${a.url}/v1/jobs`)).status, 401)

    const id = await submit({ input: 'hello' })
    await waitFor(async () => (await job(id)).state === 'succeeded', 30_000, 'a job to succeed')
    // per-worker records follow the job's events a moment later
    await waitFor(async () => (await status(cdir)).failureRates?.overall != null, 5_000, 'the attempt to be counted')
    const s = await status(cdir)
    assert.equal(s.role, 'coordinator')
    assert.equal(s.peerId, C)
    assert.equal(s.peers.worker, 2)
    assert.equal(s.queue?.succeeded, 1)
    assert.deepEqual([...(s.workers?.active ?? [])].sort(), [W1, W2].sort())
    assert.equal(s.paused, false)
    assert.ok((s.ledger?.height ?? 0) >= 2, 'genesis + settlement')
    assert.ok((s.assignmentRatePerSec ?? 0) > 0)
    assert.equal(s.failureRates?.overall, 0)

    const ws = await status(w1dir)
    assert.equal(ws.role, 'worker')
    assert.deepEqual(ws.worker?.coordinators, [C])
    assert.equal((await fetch(`${(await apiOf(w1dir)).url}/ready`)).status, 200)

    const m = await fetch(`${a.url}/metrics`)
    assert.match(m.headers.get('content-type') ?? '', /^text\/plain/)
    const text = await m.text()
    assert.match(text, /^edgecoder_jobs\{state="succeeded"\} 1$/m)
    assert.match(text, /^edgecoder_dispatch_latency_seconds_count 1$/m)
    assert.match(text, /^edgecoder_peers\{role="worker"\} 2$/m)
    assert.match(text, /^edgecoder_ledger_height \d+$/m)
    assert.match(text, /^edgecoder_ledger_checkpoint_age_seconds [\d.e-]+$/m)
    assert.match(text, /^edgecoder_lease_expiries_total 0$/m)
    assert.match(text, /^# TYPE libp2p_\w+ /m, 'libp2p\'s own metrics are there too')

    // every stdout line of the daemon is a JSON object with the common fields
    const lines = coord.logs().split('\n').filter(l => l.trim() !== '')
    assert.ok(lines.length > 3)
    for (const l of lines) {
      const o = JSON.parse(l) as Record<string, unknown>
      for (const k of ['time', 'level', 'component', 'msg']) assert.ok(k in o, `${k} in ${l}`)
    }
    const assigned = lines.map(l => JSON.parse(l) as Record<string, unknown>).find(o => o.msg === 'job assigned')
    assert.equal(assigned?.jobId, id)
    assert.ok(assigned?.peerId === W1 || assigned?.peerId === W2)
  })

  it('/metrics passes promtool check metrics', async function () {
    const probe = spawnSync('promtool', ['--version'])
    if (probe.error != null) { this.skip(); return }
    const text = await (await fetch(`${(await apiOf(cdir)).url}/metrics`)).text()
    for (const dir of [cdir, w1dir]) {
      const body = dir === cdir ? text : await (await fetch(`${(await apiOf(dir)).url}/metrics`)).text()
      const r = spawnSync('promtool', ['check', 'metrics'], { input: body })
      assert.equal(r.status, 0, `promtool: ${r.stdout.toString()}${r.stderr.toString()}`)
    }
  })

  it('pause stops new assignments while running jobs finish; explain says why; resume', async () => {
    const long = await submit({ input: 'long', delayMs: 2_500 })
    await waitFor(async () => (await job(long)).state === 'running', 20_000, 'the long job to run')
    assert.match(await ops(['admin', 'pause', '--reason', 'integrity check']), /pause/)
    const held = [await submit({ input: 'p1' }), await submit({ input: 'p2' })]
    await waitFor(async () => (await job(long)).state === 'succeeded', 20_000, 'the running job to finish')
    // the positive control: the worker that ran it gets the ack to its result, which carries its claim
    // for the slot the result frees (the next job rides on that ack), and is idle after it; a held job
    // would have come in that very answer
    const ranIt = (await job(long)).attempts.at(-1)?.worker === W1 ? w1dir : w2dir
    await waitFor(async () => (await status(ranIt)).worker?.running === 0 || (await Promise.all(held.map(job))).some(j => j.attempts.length > 0), 10_000, 'the worker to be acked and idle')
    for (const id of held) {
      const j = await job(id)
      assert.equal(j.state, 'queued')
      assert.equal(j.attempts.length, 0)
    }
    const s = await status(cdir)
    assert.equal(s.paused, true)
    assert.deepEqual(s.workers?.active, [])
    const why = await ops(['jobs', 'explain', held[0]])
    assert.match(why, /the coordinator is paused/)
    assert.match(why, new RegExp(`${W1}  excluded\\n\\s+paused`))
    assert.match(await (await fetch(`${(await apiOf(cdir)).url}/metrics`)).text(), /^edgecoder_paused 1$/m)
    await ops(['admin', 'resume'])
    await waitFor(async () => await allDone(held), 20_000, 'held jobs to run after resume')
  })

  it('a drained worker takes no new job and reports drained; nodes return brings it back', async () => {
    // long enough to outlast a few CLI round trips on a loaded machine
    const longs = [await submit({ input: 'l1', delayMs: 10_000 }), await submit({ input: 'l2', delayMs: 10_000 })]
    await waitFor(async () => (await Promise.all(longs.map(job))).every(j => j.state === 'running'), 20_000, 'one long job on each worker')
    const onW1 = (await Promise.all(longs.map(job))).find(j => j.attempts.at(-1)?.worker === W1) as JobJson
    assert.ok(onW1 != null)
    await ops(['nodes', 'drain', W1])
    await waitFor(async () => (await status(w1dir)).draining, 5_000, 'the worker to hear it is drained')
    let list = (await api<{ nodes: Array<{ peerId: string, status: string, runningHere: number }> }>(cdir, 'GET', '/v1/ops/nodes')).nodes
    assert.equal((await job(onW1.id)).state, 'running', 'still running when drained')
    assert.equal(list.find(n => n.peerId === W1)?.status, 'draining')
    assert.equal(list.find(n => n.peerId === W1)?.runningHere, 1)
    const after = [await submit({ input: 'd1' }), await submit({ input: 'd2' }), await submit({ input: 'd3' })]
    await waitFor(async () => await allDone([...longs, ...after]), 30_000, 'jobs to finish')
    for (const id of after) assert.deepEqual((await job(id)).attempts.map(a => a.worker), [W2], 'new work goes to the other worker')
    await waitFor(async () => {
      list = JSON.parse(await ops(['nodes', 'list', '--json'])) as typeof list
      return list.find(n => n.peerId === W1)?.status === 'drained'
    }, 10_000, 'the worker to report drained')
    const state = JSON.parse(await ops(['admin', 'state', '--json'])) as { history: Array<{ action: string, by: string, peer?: string }> }
    assert.ok(state.history.some(h => h.action === 'drained' && h.by === 'worker' && h.peer === W1))

    await ops(['nodes', 'return', W1])
    await waitFor(async () => !(await status(w1dir)).draining, 5_000, 'the worker to be back')
    const more = [await submit({ input: 'r1', delayMs: 400 }), await submit({ input: 'r2', delayMs: 400 }), await submit({ input: 'r3', delayMs: 400 })]
    await waitFor(async () => await allDone(more), 20_000, 'jobs after return')
    assert.ok((await Promise.all(more.map(job))).some(j => j.attempts[0].worker === W1), 'the returned worker takes work again')
  })

  it('jobs explain tells a pending job\'s story: draining, capability', async () => {
    await ops(['nodes', 'drain', W1])
    // only the drained worker could run this job (the other offers noop only)
    const id = await submit({ executor: 'process', args: ['true'] })
    // the positive control: a job submitted after it, which the other worker can run, is run
    const control = await submit({ input: 'runs meanwhile' })
    await waitFor(async () => (await job(control)).state === 'succeeded', 20_000, 'the control job to run')
    assert.equal((await job(id)).state, 'queued')
    assert.deepEqual((await job(id)).attempts, [])
    assert.deepEqual((await job(control)).attempts.map(a => a.worker), [W2])
    const text = await ops(['jobs', 'explain', id])
    assert.match(text, /queued since/)
    assert.match(text, /no worker is eligible/)
    assert.match(text, new RegExp(`${W1}  excluded\\n(\\s+.*\\n)*?\\s+drain(ing|ed): takes no new work`))
    assert.match(text, new RegExp(`${W2}  excluded\\n(\\s+.*\\n)*?\\s+capability: does not offer executor process \\(offers noop\\)`))
    const e = JSON.parse(await ops(['jobs', 'explain', id, '--json'])) as { workers: Array<{ peer: string, verdict: string }> }
    assert.deepEqual(e.workers.map(w => w.verdict), ['excluded', 'excluded'])
    await api(cdir, 'POST', `/v1/jobs/${id}/cancel`)
    await ops(['nodes', 'return', W1])
    const bad = await cli(['jobs', 'explain', 'nope', '--data-dir', cdir])
    assert.equal(bad.code, 1)
    assert.equal(bad.stderr.trim().split('\n').length, 1)
  })

  it('an isolated node is cut off and denied for the period, then comes back', async () => {
    await ops(['nodes', 'isolate', W2, '--for', '4s', '--reason', 'suspect results'])
    const t0 = Date.now()
    await waitFor(async () => (await status(cdir)).peers.worker === 1, 3_000, 'the isolated worker to be disconnected')
    const gatedBefore = await gatedConnections(cdir)
    const ids = [await submit({ input: 'i1' }), await submit({ input: 'i2' })]
    // for the period it stays out, though its bootstrap dialer keeps trying (the worker may see a
    // connection for a moment: the gater drops it once the peer id is known, after encryption)
    while (Date.now() - t0 < 3_300) {
      const s = await status(cdir)
      assert.equal(s.peers.worker, 1)
      assert.ok(!(s.workers?.active ?? []).includes(W2) && !(s.workers?.pending ?? []).includes(W2))
      await sleep(250)
    }
    // the positive control: in that window it did try to come back, and the gate turned it away
    assert.ok(await gatedConnections(cdir) > gatedBefore, 'the isolated worker never dialed back during its isolation')
    await waitFor(async () => await allDone(ids), 20_000, 'jobs during isolation')
    for (const id of ids) assert.deepEqual((await job(id)).attempts.map(a => a.worker), [W1])
    await waitFor(async () => (await status(cdir)).workers?.active.includes(W2) === true, 40_000, 'the worker to come back after the period')
    // the whole history (`admin state` shows the last 30 entries, which other actions can push it out of)
    // (the gater lets it in when the period is over; the expiry sweep that records it runs on a tick)
    await waitFor(async () => (await api<{ history: Array<{ action: string, peer?: string }> }>(cdir, 'GET', '/v1/ops/history?limit=10000'))
      .history.some(h => h.action === 'isolation-ended' && h.peer === W2), 10_000, 'the end of the isolation to be recorded')
  })

  it('staged resume ramps the assignment rate', async () => {
    await ops(['admin', 'pause'])
    const ids: string[] = []
    for (let i = 0; i < 30; i++) ids.push(await submit({ input: `s${i}`, delayMs: 50 }))
    const out = JSON.parse(await ops(['admin', 'resume', '--staged', '--initial-rate', '1', '--step-ms', '2500', '--steps', '3', '--json'])) as { entry: { at: number } }
    const t0 = out.entry.at
    const s = await status(cdir)
    assert.equal(s.ramp?.step, 1)
    assert.equal(s.ramp?.ratePerSec, 1)
    await waitFor(async () => await allDone(ids), 60_000, 'the ramped queue to finish')
    const at = (await Promise.all(ids.map(job))).map(j => Date.parse(j.timestamps.find(t => t.state === 'assigned')?.at ?? '') - t0)
    const inWindow = (from: number, to: number): number => at.filter(x => x >= from && x < to).length
    const w = [inWindow(0, 2_500), inWindow(2_500, 5_000), inWindow(5_000, 7_500), inWindow(7_500, Infinity)]
    const detail = JSON.stringify({ windows: w, at: at.sort((x, y) => x - y) })
    // rate r for 2.5 s allows 2.5·r assignments plus the one-token burst (and one claim racing it)
    assert.ok(w[0] >= 1 && w[0] <= 5, detail)
    assert.ok(w[1] <= 7, detail)
    assert.ok(w[2] <= 12, detail)
    assert.ok(w[2] > w[0], `the rate goes up: ${detail}`)
    assert.ok(w[3] > 0, `after the ramp the rest goes at full speed: ${detail}`)
    assert.equal((await status(cdir)).ramp, null)
  })

  it('backup of a busy coordinator restores into a node that finishes the queue with its ledger consistent', async () => {
    const ids: string[] = []
    for (let i = 0; i < 40; i++) ids.push(await submit({ input: `b${i}`, delayMs: 150 }))
    await waitFor(async () => (await Promise.all(ids.map(job))).filter(j => j.state === 'succeeded').length >= 6, 30_000, 'the queue to be under way')
    const node = await api<{ noteKey: string }>(cdir, 'GET', '/v1/node')
    const before = parseCheckpoint(openNote(await api<string>(cdir, 'GET', '/v1/ledger/checkpoint'), [node.noteKey]).text)
    const file = join(await fx.dir(), 'coordinator.backup')
    const b = await cli(['backup', file, '--data-dir', cdir, '--json'])
    assert.equal(b.code, 0, b.stderr)
    const header = JSON.parse(b.stdout) as { peerId: string, role: string, jobs: Record<string, number>, ledger: { size: number } }
    assert.equal(header.peerId, C)
    assert.ok(header.jobs.queued + header.jobs.assigned + header.jobs.running > 0, `backup taken while busy: ${JSON.stringify(header.jobs)}`)
    assert.ok(header.ledger.size >= before.size)
    // a worker's replica holds a checkpoint of the log: the restored coordinator catches up from it
    await waitFor(async () => (await api<{ logs: Array<{ log: string, verifiedSize: number }> }>(w1dir, 'GET', '/v1/ledger/logs')).logs.some(l => l.log === C && l.verifiedSize >= before.size), 20_000, 'the worker\'s replica to hold the checkpoint')
    await stopDaemon(coord, 'SIGKILL')

    // refusals: a non-empty target, a damaged file
    const nonEmpty = await cli(['restore', file, '--data-dir', cdir])
    assert.equal(nonEmpty.code, 1)
    assert.match(nonEmpty.stderr, /^error: restore target .* is not empty.*\[RestoreTargetNotEmptyError\]\n$/)
    const damaged = join(await fx.dir(), 'damaged.backup')
    const bytes = await readFile(file)
    bytes[Math.floor(bytes.length / 2)] ^= 0x01
    await writeFile(damaged, bytes)
    const bad = await cli(['restore', damaged, '--data-dir', join(await fx.dir(), 'x')])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /^error: backup .* is (damaged|truncated).*\[BackupCorruptError\]\n$/)

    const rdir = join(await fx.dir(), 'restored')
    const r = await cli(['restore', file, '--data-dir', rdir])
    assert.equal(r.code, 0, r.stderr)
    assert.equal((await stat(join(rdir, 'identity.key'))).mode & 0o777, 0o600)
    coord = await startDaemon(rdir, ['--listen', `/ip4/127.0.0.1/tcp/${port}`])
    daemons.push(coord)
    cdir = rdir
    assert.equal((await status(cdir)).peerId, C, 'same identity')
    await waitFor(async () => await allDone(ids), 90_000, 'the restored coordinator to finish the queue')
    for (const id of ids) {
      // run once here, or finished by the original after the backup: closed from its settlement, not run again
      const j = await job(id)
      if (/after the backup this coordinator was restored from/.test(j.reason ?? '')) assert.equal(j.attempts.filter(a => a.outcome === 'succeeded').length, 0, JSON.stringify(j))
      else assert.equal(j.attempts.filter(a => a.outcome === 'succeeded').length, 1, JSON.stringify(j))
    }

    // the log extends the checkpoint issued before the backup, and settles every job once
    const cons = await api<{ fromRoot: string, toRoot: string, to: number, hashes: string[] }>(cdir, 'GET', `/v1/ledger/consistency?from=${before.size}`)
    assert.equal(cons.fromRoot, Buffer.from(before.rootHash).toString('base64'))
    assert.ok(verifyConsistency(before.size, cons.to, cons.hashes.map(h => new Uint8Array(Buffer.from(h, 'base64'))), before.rootHash, new Uint8Array(Buffer.from(cons.toRoot, 'base64'))))
    const v = await cliJson<{ ok: boolean }>(['ledger', 'verify', '--data-dir', cdir])
    assert.equal(v.ok, true)
    // entries are served up to the latest checkpoint, signed within a second of the last settlement
    let settled: Array<string | undefined> = []
    await waitFor(async () => {
      const entries = await api<{ entries: Array<{ kind: string, settlement?: { jobId: string } }> }>(cdir, 'GET', '/v1/ledger/entries?limit=10000')
      settled = entries.entries.filter(e => e.settlement != null).map(e => e.settlement?.jobId)
      return ids.every(id => settled.includes(id))
    }, 15_000, 'a checkpoint covering every settlement').catch(() => {})
    assert.equal(new Set(settled).size, settled.length, 'no job settled twice')
    for (const id of ids) assert.ok(settled.includes(id), `job ${id} settled`)
  })
})
