// `ledger verify` / `ledger reconcile` on a worker that holds the logs of two coordinators: without
// --log or --all verify says so in one line; --all checks every log; reconcile never prints "undefined".
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Fixture, waitFor, freePort } from './helpers.js'
import { cli, cliJson, startDaemon, stopDaemon, type Daemon } from './cli-helpers.js'

describe('ledger verify / reconcile --all on a node holding several logs', function () {
  this.timeout(180_000)
  const fx = new Fixture()
  const daemons: Daemon[] = []
  after(async () => {
    for (const d of daemons) await stopDaemon(d, 'SIGKILL')
    await fx.cleanup()
  })

  it('a worker following two coordinators verifies and reconciles both with --all', async () => {
    const root = await fx.dir()
    const c1 = join(root, 'coord1')
    const c2 = join(root, 'coord2')
    const wdir = join(root, 'worker')
    await cliJson(['init', '--data-dir', c1, '--role', 'coordinator'])
    daemons.push(await startDaemon(c1, ['--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`]))
    const boot = join(c1, 'bootstrap.json')
    await cliJson(['init', '--data-dir', c2, '--role', 'coordinator', '--bootstrap', boot])
    const p1 = (await cliJson<{ peerId: string }>(['id', '--data-dir', c1])).peerId
    const p2 = (await cliJson<{ peerId: string }>(['id', '--data-dir', c2])).peerId
    daemons.push(await startDaemon(c2, ['--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`]))
    assert.equal((await cli(['admin', 'coordinator', 'add', p2, '--data-dir', c1])).code, 0)
    await waitFor(async () => (await cliJson<{ self: { granted: boolean } }>(['admin', 'coordinator', 'list', '--data-dir', c2])).self.granted, 15_000, 'c2 to be granted')
    await waitFor(async () => (await cliJson<{ policy: Record<string, unknown> }>(['policy', 'show', '--data-dir', c2])).policy.welcomeGrant != null, 15_000, 'the welcome grant policy at c2')

    const written = JSON.parse(await readFile(boot, 'utf8')) as { peers: string[] }
    const second = JSON.parse(await readFile(join(c2, 'bootstrap.json'), 'utf8')) as { peers: string[] }
    const both = join(root, 'both.json')
    await writeFile(both, JSON.stringify({ ...written, peers: [...written.peers, ...second.peers] }))
    await cliJson(['init', '--data-dir', wdir, '--role', 'worker', '--bootstrap', both])
    daemons.push(await startDaemon(wdir, []))
    for (const c of [c1, c2]) {
      const { id } = await cliJson<{ id: string }>(['jobs', 'submit', '--data-dir', c, '--executor', 'noop', '--input', `at ${c}`])
      await waitFor(async () => (await cliJson<{ state: string }>(['jobs', 'status', id, '--data-dir', c])).state === 'succeeded', 30_000, `the job of ${c}`)
    }
    // the worker holds both coordinators' logs once reconciled
    await waitFor(async () => {
      await cli(['ledger', 'reconcile', '--data-dir', wdir])
      const logs = (await cliJson<{ log: string, verified: boolean }[]>(['ledger', 'verify', '--all', '--data-dir', wdir]).catch(() => [])).map(l => l.log)
      return logs.includes(p1) && logs.includes(p2)
    }, 60_000, 'the worker to hold both logs')

    const plain = await cli(['ledger', 'verify', '--data-dir', wdir])
    assert.equal(plain.code, 1)
    assert.equal(plain.stderr.trim().split('\n').length, 1)
    assert.match(plain.stderr, /this node holds 2 logs: give --all, or --log PEER for one .*\[InvalidArgumentError\]/)

    const all = await cli(['ledger', 'verify', '--all', '--data-dir', wdir])
    assert.equal(all.code, 0, all.stderr)
    const lines = all.stdout.trim().split('\n')
    assert.equal(lines.length, 2, all.stdout)
    for (const p of [p1, p2]) assert.ok(lines.some(l => l.startsWith(`${p}: ok: `)), `${p} in ${all.stdout}`)
    const one = await cliJson<{ log: string, ok: boolean }>(['ledger', 'verify', '--log', p2, '--data-dir', wdir])
    assert.deepEqual([one.log, one.ok], [p2, true])

    for (const args of [['ledger', 'reconcile', '--all'], ['ledger', 'reconcile']]) {
      const r = await cli([...args, '--data-dir', wdir])
      assert.equal(r.code, 0, r.stderr)
      assert.doesNotMatch(r.stdout, /undefined/)
      for (const p of [p1, p2]) assert.match(r.stdout, new RegExp(`^${p}: verified at \\d+ entries`, 'm'))
    }
    const both2 = await cli(['ledger', 'reconcile', '--all', '--log', p1, '--data-dir', wdir])
    assert.equal(both2.code, 1)
    assert.match(both2.stderr, /give --log PEER or --all, not both/)
  })
})
