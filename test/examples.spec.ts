import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
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

  it('the README\'s "Embed it" snippet is examples/readme-embed.ts, and it runs as written against a coordinator', async () => {
    const file = fileURLToPath(new URL('../../examples/readme-embed.ts', import.meta.url))
    const snippet = (await readFile(file, 'utf8')).split('// --- README ---\n')[1].replace("from '../src/index.js'", "from 'edgecoder-node'")
    const readme = await readFile(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')
    assert.ok(readme.includes('```ts\n' + snippet + '```'), 'the README shows examples/readme-embed.ts as it is')
    // a coordinator in token admission, as by default; one auto-approve token each
    const coord = await fx.coordinator({ admission: { mode: 'token' } })
    const dir = await fx.dir()
    await writeFile(join(dir, 'bootstrap.json'), JSON.stringify(coord.bootstrapConfig()))
    const t1 = (await coord.admission.state.tokens.create({ autoApprove: true })).token
    const t2 = (await coord.admission.state.tokens.create({ autoApprove: true })).token
    const script = fileURLToPath(new URL('../examples/readme-embed.js', import.meta.url))
    const run = await promisify(execFile)(process.execPath, [script], { cwd: dir, env: { ...process.env, AGENT_REGISTRATION_TOKEN: t1, APP_TOKEN: t2 }, timeout: 45_000 })
    assert.match(run.stdout, /worker at \S+: active/)
    assert.match(run.stdout, /ran [0-9a-f]{12}: exit 0/)
    assert.equal(run.stdout.trim().split('\n').at(-1), 'succeeded hello mesh')
  })

  it('importing the package on Node < 22 throws UnsupportedRuntimeError by name, before libp2p fails', async () => {
    const { checkNodeVersion } = await import('../src/util/node-version.js')
    assert.throws(() => { checkNodeVersion('20.20.2') }, (e: Error) => e.name === 'UnsupportedRuntimeError' && e.message.includes('Node >= 22'))
    checkNodeVersion('22.0.0')
    checkNodeVersion(process.versions.node)
    // and with the machine's own Node 20, where there is one (the machines ship it)
    const entry = fileURLToPath(new URL('../src/index.js', import.meta.url))
    const old = await promisify(execFile)('/usr/bin/node', ['--version']).then(r => r.stdout.trim(), () => '')
    if (old !== '' && Number(old.slice(1).split('.')[0]) < 22) {
      const r = await promisify(execFile)('/usr/bin/node', ['-e', `import(${JSON.stringify(entry)}).then(() => console.log('loaded'), e => console.log(e.name))`])
      assert.equal(r.stdout.trim(), 'UnsupportedRuntimeError')
    }
  })
})
