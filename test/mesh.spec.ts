import assert from 'node:assert/strict'
import { Fixture, waitFor, freePort, MESH } from './helpers.js'
import { loadKeyFile, createKeyFile } from '../src/identity/key-file.js'
import type { EdgecoderNode } from '../src/node/create-node.js'

describe('mesh: job lifecycle end to end', function () {
  this.timeout(120_000)
  const fx = new Fixture()
  afterEach(async () => { await fx.cleanup() })

  it('1 coordinator + 5 workers run 100 jobs, every one signed, assigned, run and settled once', async () => {
    const coord = await fx.coordinator()
    const workers = await fx.workers(5, coord)
    const assigned = new Map<string, number>()
    coord.events.on('job:assigned', d => { assigned.set(d.jobId, (assigned.get(d.jobId) ?? 0) + 1) })
    const ids: string[] = []
    for (let i = 0; i < 100; i++) ids.push(await coord.jobs.submit({ executor: 'noop', input: `job-${i}`, delayMs: i % 10 }))
    assert.equal(new Set(ids).size, 100, 'every submission gets its own id')
    await waitFor(() => coord.coordinator?.store.countsByState().succeeded === 100, 60_000, '100 jobs to succeed')
    // an owner sees a job succeeded only once its settlement is durable in the ledger (a moment later under load)
    await waitFor(async () => (await Promise.all(ids.map(async id => await coord.jobs.status(id)))).every(s => s.state === 'succeeded'), 30_000, 'owners to see all 100 succeeded')
    const byWorker = new Map<string, number>()
    for (const [i, id] of ids.entries()) {
      const s = await coord.jobs.result(id)
      assert.equal(s.state, 'succeeded')
      assert.equal(new TextDecoder().decode(s.result?.output), `job-${i}`, 'output is the echoed input')
      assert.equal(s.attempts.length, 1, 'no job ran twice')
      assert.equal(assigned.get(id), 1)
      assert.deepEqual(s.timestamps.map(t => t.state), ['queued', 'assigned', 'running', 'succeeded'])
      assert.ok(s.signedResult != null && s.signedResult.signature.byteLength === 64)
      byWorker.set(s.attempts[0].worker, (byWorker.get(s.attempts[0].worker) ?? 0) + 1)
    }
    assert.ok(byWorker.size >= 3, `work spread over workers (got ${byWorker.size})`)
    for (const w of byWorker.keys()) assert.ok(workers.some(n => n.peerId.toString() === w))
  })

  it('a job submitted by a client node travels through the mesh and its owner can read the result', async () => {
    const coord = await fx.coordinator()
    await fx.workers(1, coord)
    const client = await fx.client(coord)
    await waitFor(() => client.libp2p.getConnections(coord.peerId).length > 0, 10_000, 'client to connect')
    const id = await client.jobs.submit({ executor: 'noop', input: 'from afar' })
    const s = await client.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })
    assert.equal(s.state, 'succeeded')
    assert.equal(s.owner, client.peerId.toString())
    const r = await client.jobs.result(id)
    assert.equal(new TextDecoder().decode(r.result?.output), 'from afar')
    const listed = await client.jobs.list()
    assert.deepEqual(listed.map(j => j.jobId), [id])
    // another user may not read or cancel it
    const stranger = await fx.node({ role: 'client', bootstrap: coord.bootstrapConfig() })
    await assert.rejects(stranger.jobs.status(id), (e: Error) => e.name === 'JobNotFoundError')
  })

  it('workers only query the DHT: they connect to coordinators, not to one another', async () => {
    const coord = await fx.coordinator()
    const workers = await fx.workers(6, coord)
    // a worker that serves the DHT (opted in) is one the others may learn of and dial
    const server = await fx.node({ role: 'worker', dhtServer: true, bootstrap: coord.bootstrapConfig() })
    /** the peers the coordinator names in its answer to a worker's lookup (the worker itself aside) */
    const namedByCoordinator = async (w: EdgecoderNode): Promise<string[]> => {
      const named: string[] = []
      for await (const e of w.libp2p.services.dht.getClosestPeers(w.peerId.toMultihash().bytes, { signal: AbortSignal.timeout(5_000) })) {
        if (e.name === 'PEER_RESPONSE' && e.from.equals(coord.peerId)) named.push(...e.closer.map(p => p.id.toString()))
      }
      return named.filter(p => p !== w.peerId.toString())
    }
    // the coordinator tells of the server once it has identified it; the workers joined before it, so
    // a worker serving the DHT would be in the coordinator's table by then as well
    await waitFor(async () => (await namedByCoordinator(workers[0])).includes(server.peerId.toString()), 10_000, 'the coordinator to name the DHT server')
    const ids = new Set(workers.map(w => w.peerId.toString()))
    for (const w of workers) {
      // the positive control in the same answer: the server is named, no worker is
      const named = await namedByCoordinator(w)
      assert.ok(named.includes(server.peerId.toString()), `the coordinator named ${JSON.stringify(named)}, not the DHT server`)
      assert.deepEqual(named.filter(p => ids.has(p)), [], `the coordinator named other workers to ${w.peerId.toString()}`)
      const peers = w.libp2p.getConnections().map(c => c.remotePeer.toString())
      assert.ok(peers.includes(coord.peerId.toString()))
      assert.deepEqual(peers.filter(p => ids.has(p)), [], `worker ${w.peerId.toString()} is connected to other workers`)
    }
    assert.equal(coord.libp2p.services.dht.getMode(), 'server')
    assert.equal(server.libp2p.services.dht.getMode(), 'server')
    for (const w of workers) assert.equal(w.libp2p.services.dht.getMode(), 'client')
    const id = await coord.jobs.submit({ executor: 'noop', input: 'star' })
    assert.equal((await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
  })

  it('workers find a coordinator through the DHT when the bootstrap list names only another peer', async () => {
    // a dedicated bootstrap hub serves the DHT (workers and clients only query it by default)
    const hub = await fx.node({ role: 'client', dhtServer: true })
    const coord = await fx.coordinator({ bootstrap: { meshId: MESH, peers: hub.multiaddrs() } })
    const worker = await fx.node({ role: 'worker', bootstrap: { meshId: MESH, peers: hub.multiaddrs(), adminKeys: [coord.peerId.toString()] } })
    await waitFor(() => worker.worker?.coordinators.has(coord.peerId.toString()) === true, 30_000, 'DHT discovery of the coordinator')
    const id = await coord.jobs.submit({ executor: 'noop', input: 'found you' })
    const s = await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })
    assert.equal(s.state, 'succeeded')
    assert.equal(s.attempts[0].worker, worker.peerId.toString())
  })

  it('a worker reaches a coordinator over WebRTC-direct alone', async () => {
    const coord = await fx.coordinator({ listen: ['/ip4/127.0.0.1/udp/0/webrtc-direct'] })
    const rtc = coord.multiaddrs().filter(m => m.toString().includes('/webrtc-direct/'))
    assert.equal(rtc.length, 1)
    const worker = await fx.node({ role: 'worker', listen: [], bootstrap: { meshId: MESH, peers: rtc, adminKeys: [coord.peerId.toString()] } })
    await waitFor(() => worker.worker?.coordinators.has(coord.peerId.toString()) === true, 15_000, 'worker to find the coordinator')
    assert.ok(worker.libp2p.getConnections(coord.peerId).every(c => c.remoteAddr.toString().includes('/webrtc-direct')))
    const id = await coord.jobs.submit({ executor: 'noop', input: 'over webrtc' })
    assert.equal((await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
  })

  it('a worker serves several coordinators in one mesh', async () => {
    const c1 = await fx.coordinator()
    // c2 joins c1's mesh and is granted by its admin key
    const c2 = await fx.coordinator({ bootstrap: c1.bootstrapConfig() })
    await fx.grant(c1, c2)
    const worker = await fx.node({ role: 'worker', bootstrap: { ...c1.bootstrapConfig(), peers: [...c1.multiaddrs(), ...c2.multiaddrs()].map(String) } })
    await waitFor(() => worker.worker?.coordinators.size === 2, 10_000, 'worker to know both coordinators')
    const a = await c1.jobs.submit({ executor: 'noop', input: 'one' })
    const b = await c2.jobs.submit({ executor: 'noop', input: 'two' })
    assert.equal((await c1.jobs.wait(a, { signal: AbortSignal.timeout(20_000) })).attempts[0].worker, worker.peerId.toString())
    assert.equal((await c2.jobs.wait(b, { signal: AbortSignal.timeout(20_000) })).attempts[0].worker, worker.peerId.toString())
  })

  it('a coordinator restarted mid-queue loses nothing and finishes every job exactly once', async () => {
    const dataDir = await fx.dir()
    await createKeyFile(dataDir)
    const key = await loadKeyFile(dataDir)
    const port = await freePort()
    const listen = [`/ip4/127.0.0.1/tcp/${port}`]
    let coord: EdgecoderNode = await fx.coordinator({ dataDir, privateKey: key, listen })
    const workers = await fx.workers(3, coord, { slots: 1 })
    const ids: string[] = []
    for (let i = 0; i < 30; i++) ids.push(await coord.jobs.submit({ executor: 'noop', input: `r${i}`, delayMs: 50 }))
    await waitFor(() => (coord.coordinator?.store.countsByState().succeeded ?? 0) >= 3, 20_000, 'some jobs to finish')
    const firstId = coord.peerId.toString()
    await coord.stop()
    fx.nodes.splice(fx.nodes.indexOf(coord), 1)
    coord = await fx.coordinator({ dataDir, privateKey: key, listen })
    assert.equal(coord.peerId.toString(), firstId, 'same identity after restart')
    await waitFor(() => workers.every(w => w.libp2p.getConnections(coord.peerId).length > 0), 20_000, 'workers to reconnect')
    await waitFor(() => coord.coordinator?.store.countsByState().succeeded === 30, 60_000, 'all 30 jobs to succeed after restart')
    for (const id of ids) {
      const s = await coord.jobs.status(id)
      assert.equal(s.state, 'succeeded')
      assert.equal(s.attempts.filter(a => a.outcome === 'succeeded').length, 1, 'settled once')
    }
  })

  it('a worker stopped mid-job leads to lease expiry and reassignment with attempt+1', async () => {
    const coord = await fx.coordinator({ leaseMs: 1_000 })
    const [w1] = await fx.workers(1, coord, { slots: 1 })
    const id = await coord.jobs.submit({ executor: 'noop', input: 'survive', delayMs: 60_000, maxAttempts: 3, timeoutMs: 120_000 })
    await waitFor(async () => (await coord.jobs.status(id)).state === 'running', 10_000, 'job to run on worker 1')
    await w1.stop()
    const requeued = new Promise<void>(resolve => coord.events.once('lease:expired', () => { resolve() }))
    await requeued
    const s = await coord.jobs.status(id)
    assert.equal(s.state, 'queued')
    assert.equal(s.attempts[0].outcome, 'lease-expired')
    assert.equal(s.attempt, 1)
    const [w2] = await fx.workers(1, coord, { slots: 1 })
    await waitFor(async () => (await coord.jobs.status(id)).attempt === 2, 10_000, 'reassignment')
    const s2 = await coord.jobs.status(id)
    assert.equal(s2.attempts[1].worker, w2.peerId.toString())
    const c = await coord.jobs.cancel(id)
    assert.equal(c.state, 'cancelled')
    await waitFor(() => w2.worker?.runningJobs.length === 0, 10_000, 'worker 2 to stop the cancelled job')
  })

  it('a job fails with a reason after max attempts', async () => {
    const coord = await fx.coordinator({ leaseMs: 2_000 })
    await fx.workers(1, coord, { slots: 1 })
    const id = await coord.jobs.submit({ executor: 'noop', input: 'x', delayMs: 5_000, timeoutMs: 100, maxAttempts: 2 })
    const s = await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })
    assert.equal(s.state, 'failed')
    assert.equal(s.attempts.length, 2)
    assert.match(s.reason, /failed after 2 attempt\(s\).*ExecutorTimeoutError/)
  })

  it('cancel works while queued and while running; the worker stops the run', async () => {
    const coord = await fx.coordinator()
    const queuedId = await coord.jobs.submit({ executor: 'noop', input: 'never' })
    assert.equal((await coord.jobs.cancel(queuedId)).state, 'cancelled')
    const [w] = await fx.workers(1, coord, { slots: 1 })
    const id = await coord.jobs.submit({ executor: 'noop', input: 'long', delayMs: 30_000, timeoutMs: 60_000 })
    await waitFor(async () => (await coord.jobs.status(id)).state === 'running', 10_000, 'job to run')
    const aborted = new Promise<string>(resolve => w.events.once('work:aborted', d => { resolve(d.reason) }))
    const c = await coord.jobs.cancel(id)
    assert.equal(c.state, 'cancelled')
    assert.match(await aborted, /cancel/)
    assert.equal((await coord.jobs.status(queuedId)).attempts.length, 0, 'a job cancelled while queued never ran')
    await assert.rejects(coord.jobs.cancel('0'.repeat(64)), (e: Error) => e.name === 'JobNotFoundError')
  })

  it('a non-zero exit is a failed job with the exit status, not retried', async () => {
    const coord = await fx.coordinator()
    await fx.workers(1, coord, { processAllowlist: ['sh'] })
    const id = await coord.jobs.submit({ executor: 'process', args: ['sh', '-c', 'echo out; exit 4'], maxAttempts: 3 })
    const s = await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })
    assert.equal(s.state, 'failed')
    assert.equal(s.reason, 'exit status 4')
    assert.equal(s.attempts.length, 1)
    const r = await coord.jobs.result(id)
    assert.equal(r.result?.exitCode, 4)
    assert.equal(new TextDecoder().decode(r.result?.output), 'out\n')
  })
})
