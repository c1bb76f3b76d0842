import assert from 'node:assert/strict'
import { readFile, writeFile, stat, chmod, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Fixture, waitFor, freePort } from './helpers.js'
import { cli, cliJson, startDaemon, stopDaemon, type Daemon } from './cli-helpers.js'

interface JobJson { id: string, state: string, attempts: Array<{ worker: string, outcome: string }>, result?: { output: string } }

describe('edgecoder-node daemons in separate processes', function () {
  this.timeout(180_000)
  const fx = new Fixture()
  const daemons: Daemon[] = []
  after(async () => {
    for (const d of daemons) await stopDaemon(d, 'SIGKILL')
    await fx.cleanup()
  })

  it('init creates a 0600 key with a stable peer id and refuses to overwrite it', async () => {
    const dir = join(await fx.dir(), 'node')
    const a = await cliJson<{ peerId: string }>(['init', '--data-dir', dir, '--role', 'worker'])
    const st = await stat(join(dir, 'identity.key'))
    assert.equal(st.mode & 0o777, 0o600)
    const again = await cli(['init', '--data-dir', dir, '--role', 'worker'])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /already initialised/)
    const id = await cliJson<{ peerId: string, running: boolean }>(['id', '--data-dir', dir])
    assert.equal(id.peerId, a.peerId)
    assert.equal(id.running, false)
    await chmod(join(dir, 'identity.key'), 0o644)
    const loose = await cli(['id', '--data-dir', dir])
    assert.equal(loose.code, 1)
    assert.match(loose.stderr, /readable by others/)
  })

  it('bad input gets one clear line, a non-zero exit and no change to the data dir', async () => {
    const dir = join(await fx.dir(), 'c')
    await cliJson(['init', '--data-dir', dir, '--role', 'worker'])
    const before = (await readdir(dir)).sort()
    const bad = join(await fx.dir(), 'bad.json')
    const cases: Array<[string, RegExp]> = [
      ['{"meshId": "m", "peers": ["/ip4/1.2.3.4/tcp/1"]}', /peers\[0\].*\/p2p/],
      ['{"meshId": "bad mesh!", "peers": []}', /"meshId"/],
      ['{"meshId": "m"}', /"peers"/],
      ['{"meshId": "m", "peers": [], "extra": 1}', /unknown field "extra"/],
      ['{not json', /not valid JSON/]
    ]
    for (const [text, want] of cases) {
      await writeFile(bad, text)
      const r = await cli(['start', '--data-dir', dir, '--bootstrap', bad])
      assert.equal(r.code, 1, text)
      assert.match(r.stderr, want)
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack trace')
    }
    assert.deepEqual((await readdir(dir)).sort(), before)
    const noDaemon = await cli(['jobs', 'list', '--data-dir', dir])
    assert.equal(noDaemon.code, 1)
    assert.match(noDaemon.stderr, /no daemon is running/)
    const badFlag = await cli(['jobs', 'submit', '--data-dir', dir, '--executor', 'noop', '--max-attempts', 'lots'])
    assert.equal(badFlag.code, 1)
    assert.match(badFlag.stderr, /--max-attempts must be an integer/)
    const uninit = await cli(['start', '--data-dir', join(dir, 'nope')])
    assert.equal(uninit.code, 1)
    assert.match(uninit.stderr, /not initialised/)
  })

  it('a coordinator and a worker started by hand complete jobs submitted with the CLI; kill -9 of either loses nothing', async () => {
    const root = await fx.dir()
    const cdir = join(root, 'coordinator')
    const w1dir = join(root, 'worker1')
    const w2dir = join(root, 'worker2')
    await cliJson(['init', '--data-dir', cdir, '--role', 'coordinator'])
    await cliJson(['init', '--data-dir', w1dir, '--role', 'worker'])
    await cliJson(['init', '--data-dir', w2dir, '--role', 'worker'])
    const port = await freePort()
    let coord = await startDaemon(cdir, ['--role', 'coordinator', '--listen', `/ip4/127.0.0.1/tcp/${port}`])
    daemons.push(coord)
    const boot = join(cdir, 'bootstrap.json')
    const bootJson = JSON.parse(await readFile(boot, 'utf8')) as { meshId: string, peers: string[] }
    assert.ok(bootJson.peers.every(p => p.includes('/p2p/')))
    const w1 = await startDaemon(w1dir, ['--role', 'worker', '--bootstrap', boot, '--slots', '1'])
    daemons.push(w1)

    const id = await cliJson<{ peerId: string, multiaddrs: string[], running: boolean }>(['id', '--data-dir', cdir])
    assert.equal(id.running, true)
    assert.ok(id.multiaddrs.some(m => m.includes(`/tcp/${port}`)))

    const { id: jobId } = await cliJson<{ id: string }>(['jobs', 'submit', '--data-dir', cdir, '--executor', 'noop', '--input', 'hello mesh'])
    await waitFor(async () => (await cliJson<JobJson>(['jobs', 'status', jobId, '--data-dir', cdir])).state === 'succeeded', 30_000, 'job to succeed')
    const res = await cli(['jobs', 'result', jobId, '--data-dir', cdir])
    assert.equal(res.stdout.trim(), 'hello mesh')
    const peers = await cliJson<Array<{ peerId: string, role: string }>>(['peers', '--data-dir', cdir])
    assert.ok(peers.some(p => p.role === 'worker'))

    // a second worker, then kill -9 the first in the middle of a long job
    const w2 = await startDaemon(w2dir, ['--role', 'worker', '--bootstrap', boot, '--slots', '2'])
    daemons.push(w2)
    const w1Peer = (await cliJson<{ peerId: string }>(['id', '--data-dir', w1dir])).peerId
    const { id: longJob } = await cliJson<{ id: string }>(['jobs', 'submit', '--data-dir', cdir, '--executor', 'noop', '--input', 'long', '--delay-ms', '12000', '--timeout-ms', '60000'])
    await waitFor(async () => {
      const s = await cliJson<JobJson>(['jobs', 'status', longJob, '--data-dir', cdir])
      return s.state === 'running' || s.state === 'succeeded'
    }, 20_000, 'long job to run')
    const onW1 = (await cliJson<JobJson>(['jobs', 'status', longJob, '--data-dir', cdir])).attempts.at(-1)?.worker === w1Peer
    if (onW1) await stopDaemon(w1, 'SIGKILL')
    await waitFor(async () => (await cliJson<JobJson>(['jobs', 'status', longJob, '--data-dir', cdir])).state === 'succeeded', 60_000, 'long job to finish elsewhere')
    const longStatus = await cliJson<JobJson>(['jobs', 'status', longJob, '--data-dir', cdir])
    assert.equal(longStatus.attempts.filter(a => a.outcome === 'succeeded').length, 1)
    if (onW1) assert.equal(longStatus.attempts[0].outcome, 'lease-expired', JSON.stringify(longStatus, null, 1) + w1.logs())

    // kill -9 the coordinator with a queue in flight; restart; every job finishes exactly once
    const api = JSON.parse(await readFile(join(cdir, 'api.json'), 'utf8')) as { url: string, token: string }
    const ids: string[] = []
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${api.url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: JSON.stringify({ executor: 'noop', input: `q${i}`, delayMs: 100 }) })
      ids.push(((await r.json()) as { id: string }).id)
    }
    await stopDaemon(coord, 'SIGKILL')
    coord = await startDaemon(cdir, ['--role', 'coordinator', '--listen', `/ip4/127.0.0.1/tcp/${port}`])
    daemons.push(coord)
    await waitFor(async () => {
      const list = await cliJson<JobJson[]>(['jobs', 'list', '--data-dir', cdir, '--state', 'succeeded'])
      return ids.every(i => list.some(j => j.id === i))
    }, 90_000, 'queued jobs to finish after the coordinator restart')
    for (const i of ids) {
      const s = await cliJson<JobJson>(['jobs', 'result', i, '--data-dir', cdir])
      assert.equal(s.attempts.filter(a => a.outcome === 'succeeded').length, 1, 'settled once')
      assert.match(s.result?.output ?? '', /^q\d+$/)
    }

    // SIGTERM: clean exit, api.json removed
    assert.equal(await stopDaemon(w2), 0)
    assert.equal(await stopDaemon(coord), 0)
    await assert.rejects(stat(join(cdir, 'api.json')))
  })
})
