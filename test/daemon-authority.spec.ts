// Mesh authority as operators run it, daemons in separate processes: the first coordinator creates
// the mesh, a second one joins with its bootstrap file and gives no work until the admin grants it
// from the CLI; removing the grant stops it again.
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Fixture, waitFor, freePort } from './helpers.js'
import { cli, cliJson, startDaemon, stopDaemon, type Daemon } from './cli-helpers.js'

interface JobJson { id: string, state: string, coordinator: string, attempts: Array<{ worker: string }> }
interface AuthorityJson { adminKeys: string[], coordinators: Array<{ peerId: string, state: string, label: string }>, self: { granted: boolean, why: string } }

describe('mesh authority from the CLI, across processes', function () {
  this.timeout(180_000)
  const fx = new Fixture()
  const daemons: Daemon[] = []
  after(async () => {
    for (const d of daemons) await stopDaemon(d, 'SIGKILL')
    await fx.cleanup()
  })

  it('init creates a mesh or joins one; admin coordinator add grants the joiner, remove stops it; workers and clients follow', async () => {
    const root = await fx.dir()
    const c1 = join(root, 'coord1')
    const c2 = join(root, 'coord2')
    const wdir = join(root, 'worker')
    const created = await cli(['init', '--data-dir', c1, '--role', 'coordinator'])
    assert.equal(created.code, 0, created.stderr)
    assert.match(created.stdout, /a new mesh: this key is its admin key/)
    const p1 = (await cliJson<{ peerId: string }>(['id', '--data-dir', c1])).peerId
    daemons.push(await startDaemon(c1, ['--admission', 'open', '--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`]))
    const boot = join(c1, 'bootstrap.json')
    const written = JSON.parse(await readFile(boot, 'utf8')) as { adminKeys: string[] }
    assert.deepEqual(written.adminKeys, [p1], 'the bootstrap file carries the mesh\'s admin key')

    // a worker may not create a mesh; a coordinator given the mesh's bootstrap file joins it
    const wrong = await cli(['init', '--data-dir', join(root, 'x'), '--role', 'worker', '--new-mesh'])
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, /--new-mesh is for a coordinator.*\[InvalidArgumentError\]/)
    const joined = await cli(['init', '--data-dir', c2, '--role', 'coordinator', '--bootstrap', boot])
    assert.equal(joined.code, 0, joined.stderr)
    assert.match(joined.stdout, /gives no work until an admin runs `edgecoder-node admin coordinator add/)
    const p2 = (await cliJson<{ peerId: string }>(['id', '--data-dir', c2])).peerId
    const d2 = await startDaemon(c2, ['--admission', 'open', '--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`])
    daemons.push(d2)
    await waitFor(() => d2.logs().includes('not a granted coordinator'), 10_000, 'the joiner to say it is not granted')
    const boot2 = JSON.parse(await readFile(join(c2, 'bootstrap.json'), 'utf8')) as { adminKeys: string[] }
    assert.deepEqual(boot2.adminKeys, [p1], 'a joiner writes the mesh\'s admin keys, never its own')
    const refused = await cli(['jobs', 'submit', '--data-dir', c2, '--executor', 'noop', '--input', 'x'])
    assert.equal(refused.code, 1)
    assert.equal(refused.stderr.trim().split('\n').length, 1)
    assert.match(refused.stderr, /admin coordinator add .*\[NotGrantedCoordinatorError\]/)
    // the joiner holds no admin key: it cannot grant itself
    const self = await cli(['admin', 'coordinator', 'add', p2, '--data-dir', c2])
    assert.equal(self.code, 1)
    assert.match(self.stderr, /\[UnauthorizedAdminError\]/)

    // the worker is given both coordinators' addresses (workers only query the DHT) and c1's admin key
    const c2addr = JSON.parse(await readFile(join(c2, 'bootstrap.json'), 'utf8')) as { peers: string[] }
    const both = join(root, 'both.json')
    await writeFile(both, JSON.stringify({ ...written, peers: [...(written as unknown as { peers: string[] }).peers, ...c2addr.peers] }))
    await cliJson(['init', '--data-dir', wdir, '--role', 'worker', '--bootstrap', both])
    daemons.push(await startDaemon(wdir, []))

    // granted from the CLI with the admin key (the creator's own identity): everyone follows
    const granted = await cli(['admin', 'coordinator', 'add', p2, '--label', 'second', '--data-dir', c1])
    assert.equal(granted.code, 0, granted.stderr)
    assert.match(granted.stdout, /applied: coordinator-grant/)
    await waitFor(async () => (await cliJson<AuthorityJson>(['admin', 'coordinator', 'list', '--data-dir', wdir, '--json'])).coordinators.some(c => c.peerId === p2 && c.state === 'granted'), 10_000, 'the worker to accept c2')
    const list = await cli(['admin', 'coordinator', 'list', '--data-dir', wdir])
    assert.match(list.stdout, new RegExp(`${p2}  granted .*"second"`))
    // open admission grants no welcome credits unless the mesh's policy says so (an admin action: it reaches c2 too)
    await cliJson(['policy', 'set', 'welcomeGrant', '100', '--data-dir', c1])
    await waitFor(async () => (await cliJson<{ policy: Record<string, unknown> }>(['policy', 'show', '--data-dir', c2, '--json'])).policy.welcomeGrant === 100, 10_000, 'the policy at c2')
    const { id } = await cliJson<{ id: string }>(['jobs', 'submit', '--data-dir', c2, '--executor', 'noop', '--input', 'granted now'])
    await waitFor(async () => (await cliJson<JobJson>(['jobs', 'status', id, '--data-dir', c2])).state === 'succeeded', 30_000, 'c2\'s job to run on the worker')

    // removed: c2 refuses again, and the worker lists it as removed
    const removed = await cli(['admin', 'coordinator', 'remove', p2, '--reason', 'retired', '--data-dir', c1])
    assert.equal(removed.code, 0, removed.stderr)
    await waitFor(async () => (await cli(['jobs', 'submit', '--data-dir', c2, '--executor', 'noop', '--input', 'x'])).stderr.includes('NotGrantedCoordinatorError'), 5_000, 'c2 to stop within 5 s')
    const after = await cliJson<AuthorityJson>(['admin', 'coordinator', 'list', '--data-dir', wdir, '--json'])
    assert.equal(after.coordinators.find(c => c.peerId === p2)?.state, 'removed')
    const nodes = await cli(['nodes', 'list', '--data-dir', wdir])
    assert.match(nodes.stdout, new RegExp(`${p2}  coordinator .*NOT granted \\(coordinator grant removed by ${p1}.*\\(retired\\)\\)`))
    assert.match(nodes.stdout, new RegExp(`${p1}  coordinator .*  granted`))
    const status = await cliJson<{ authority: { coordinators: Array<{ peerId: string, state: string }> } }>(['status', '--data-dir', wdir, '--json'])
    assert.deepEqual(status.authority.coordinators.filter(c => c.state === 'granted').map(c => c.peerId), [p1])
  })
})
