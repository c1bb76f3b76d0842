import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Fixture, waitFor, MESH } from './helpers.js'
import { subscribe, type Announcement } from '../examples/gossip-subscriber.js'

describe('examples', function () {
  this.timeout(60_000)
  const fx = new Fixture()
  after(async () => { await fx.cleanup() })

  it('a plain libp2p subscriber decodes job announcements with the .proto codecs alone', async () => {
    const coord = await fx.coordinator()
    const heard: Announcement[] = []
    const controller = new AbortController()
    const running = subscribe({ meshId: MESH, peers: coord.multiaddrs().map(String) }, a => { heard.push(a) }, controller.signal)
    try {
      // gossipsub needs the subscription to reach the coordinator before it forwards to us
      await waitFor(() => coord.libp2p.services.pubsub.getSubscribers(`/edgecoder/${MESH}/jobs/1.0.0`).length > 0, 15_000, 'subscriber to join the topic')
      const id = await coord.jobs.submit({ executor: 'noop', input: 'announce me', offeredPrice: 42 })
      await waitFor(() => heard.some(a => a.jobId === id), 15_000, 'the announcement')
      const a = heard.find(x => x.jobId === id)
      assert.equal(a?.executor, 'noop')
      assert.equal(a?.offeredPrice, 42n)
      assert.equal(a?.attempt, 1)
      assert.equal(a?.coordinator, coord.peerId.toString())
      assert.ok((a?.expiresAt.getTime() ?? 0) > Date.now())
    } finally {
      controller.abort()
      await running
    }
  })

  it('an app embedding a worker with its own executor runs jobs from the mesh', async () => {
    const coord = await fx.coordinator()
    const boot = join(await fx.dir(), 'bootstrap.json')
    // the coordinator's bootstrap config, as the daemon writes it: it carries the mesh's admin keys
    await writeFile(boot, JSON.stringify(coord.bootstrapConfig()))
    const script = fileURLToPath(new URL('../examples/embedded-worker.js', import.meta.url))
    const child = spawn(process.execPath, [script, boot], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    try {
      await waitFor(() => out.includes('executors: noop, wasm, reverse'), 20_000, 'the embedded worker to start')
      const id = await coord.jobs.submit({ executor: 'reverse', input: 'stressed' })
      const s = await coord.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })
      assert.equal(s.state, 'succeeded')
      assert.equal(new TextDecoder().decode((await coord.jobs.result(id)).result?.output), 'desserts')
      await waitFor(() => out.includes(`finished ${id.slice(0, 12)}`), 5_000, 'the app to log the job')
    } finally {
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGINT')
      await exited
    }
    assert.equal(child.exitCode, 0, out)
  })
})
