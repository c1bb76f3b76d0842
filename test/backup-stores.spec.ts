// A backup holds every store, the way an operator relies on it: a coordinator daemon filled with
// tokens, approvals, a blacklist entry, policy values, audit records, queued and finished jobs,
// ledger entries and operator state is backed up (encrypted) while it runs, restored into a new data
// dir and started; then every entry of the original data dir (the stores it has, whatever they are:
// not a list kept here) is compared, as a canonical dump, with the restored one. A store the backup
// leaves out fails this test. Also: the passphrase refusals, each one line, writing nothing.
import assert from 'node:assert/strict'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import { Fixture, waitFor, freePort } from './helpers.js'
import { cli, cliJson, startDaemon, stopDaemon, type Daemon } from './cli-helpers.js'
import { REGENERATED, STORES } from '../src/identity/store-registry.js'

/** Every key and value of a LevelDB, in key order, hex: equal dumps are equal stores. */
async function dumpDb (path: string): Promise<string[]> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false })
  await db.open()
  const out: string[] = []
  try {
    for await (const [k, v] of db.iterator()) out.push(`${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`)
  } finally { await db.close() }
  return out
}

/** One dump per data-dir entry (the entries are the stores; LevelDB dirs by content, files by bytes). */
async function dumpDataDir (dir: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  for (const name of (await readdir(dir)).sort()) {
    if (REGENERATED.has(name)) continue
    const s = await stat(join(dir, name))
    out.set(name, s.isDirectory() ? await dumpDb(join(dir, name)) : [(await readFile(join(dir, name))).toString('hex')])
  }
  return out
}

describe('backup holds every store', function () {
  this.timeout(300_000)
  const fx = new Fixture()
  const daemons: Daemon[] = []
  after(async () => {
    for (const d of daemons) await stopDaemon(d, 'SIGKILL')
    await fx.cleanup()
  })

  it('a filled coordinator, backed up while it runs, restores store by store identical, and starts', async () => {
    const root = await fx.dir()
    const cdir = join(root, 'coordinator')
    const wdir = join(root, 'worker')
    await cliJson(['init', '--data-dir', cdir, '--role', 'coordinator'])
    const W = (await cliJson<{ peerId: string }>(['init', '--data-dir', wdir, '--role', 'worker'])).peerId
    const port = await freePort()
    const coord = await startDaemon(cdir, ['--admission', 'token', '--listen', `/ip4/127.0.0.1/tcp/${port}`])
    daemons.push(coord)
    const run = async (args: string[]): Promise<string> => {
      const r = await cli([...args, '--data-dir', cdir])
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
      return r.stdout.trim()
    }
    // tokens, an enrollment and its approval, a blacklist entry, policy values (audit records each)
    const token = await run(['token', 'create', '--label', 'worker', '--expires', '1d'])
    await run(['token', 'create', '--label', 'spare', '--uses', '3'])
    const worker = await startDaemon(wdir, ['--bootstrap', join(cdir, 'bootstrap.json'), '--listen', '/ip4/127.0.0.1/tcp/0'], { AGENT_REGISTRATION_TOKEN: token })
    daemons.push(worker)
    await waitFor(async () => (await run(['nodes', 'list', '--pending'])).includes(W), 30_000, 'the worker to enroll')
    await run(['nodes', 'approve', W])
    await run(['nodes', 'blacklist', 'add', '12D3KooWHFrmLWTTDD4NodKjVnXgjm4jVu5oXy1RV8LuVUEQ4JVV', '--reason', 'abuse'])
    await run(['policy', 'set', 'allowedExecutors', '["noop","wasm"]'])
    await run(['policy', 'set', 'feeBps', '300'])
    // finished jobs (ledger entries), then operator state and queued jobs
    const done: string[] = []
    for (let i = 0; i < 5; i++) done.push(await run(['jobs', 'submit', '--executor', 'noop', '--input', `done${i}`]))
    for (const id of done) await waitFor(async () => (await run(['jobs', 'status', id])).includes('succeeded'), 30_000, `job ${id}`)
    await run(['admin', 'pause', '--reason', 'backup drill'])
    for (let i = 0; i < 3; i++) await run(['jobs', 'submit', '--executor', 'noop', '--input', `queued${i}`])
    // the worker stops first, so nothing changes the coordinator's stores between backup and stop
    await stopDaemon(worker)
    await waitFor(async () => {
      const s = await cliJson<{ ledger: { height: number, checkpointSize: number } }>(['status', '--data-dir', cdir])
      return s.ledger.height === s.ledger.checkpointSize
    }, 20_000, 'a checkpoint covering the whole log')

    const pass = join(root, 'pass.txt')
    await writeFile(pass, 'correct horse battery staple\n', { mode: 0o600 })
    const file = join(root, 'c.backup')
    const b = await cli(['backup', file, '--data-dir', cdir, '--passphrase-file', pass])
    assert.equal(b.code, 0, b.stderr)
    assert.match(b.stdout, /identity key, encrypted with your passphrase/)
    assert.doesNotMatch(b.stdout, /warning: not in the backup/)
    assert.equal((await readFile(file)).subarray(0, 21).toString(), 'age-encryption.org/v1')
    await stopDaemon(coord)
    const original = await dumpDataDir(cdir)
    for (const s of [STORES.admissionDb, STORES.jobsDb, STORES.ledgerDb, STORES.identity, STORES.config]) assert.ok(original.has(s.name), `the original has ${s.name}`)

    // refusals, one line each, the target left empty
    const target = join(root, 'restored')
    const noPass = await cli(['restore', file, '--data-dir', target], { env: { EDGECODER_BACKUP_PASSPHRASE: '' } })
    assert.equal(noPass.code, 1)
    assert.match(noPass.stderr, /^error: backup .* is encrypted: give its passphrase .*\[BackupPassphraseError\]\n$/)
    const wrong = await cli(['restore', file, '--data-dir', target], { env: { EDGECODER_BACKUP_PASSPHRASE: 'not it' } })
    assert.match(wrong.stderr, /^error: backup .*: wrong passphrase.*\[BackupPassphraseError\]\n$/)
    const cut = join(root, 'cut.backup')
    const bytes = await readFile(file)
    await writeFile(cut, bytes.subarray(0, bytes.length - 40))
    const truncated = await cli(['restore', cut, '--data-dir', target, '--passphrase-file', pass])
    assert.match(truncated.stderr, /^error: backup .* is damaged or truncated.*\[BackupCorruptError\]\n$/)
    assert.deepEqual(await readdir(target).catch(() => []), [], 'nothing written')

    const r = await cli(['restore', file, '--data-dir', target], { env: { EDGECODER_BACKUP_PASSPHRASE: 'correct horse battery staple' } })
    assert.equal(r.code, 0, r.stderr)
    const restored = await startDaemon(target, ['--admission', 'token', '--listen', `/ip4/127.0.0.1/tcp/${port}`])
    daemons.push(restored)
    // it is the same coordinator, by what an operator asks of it
    assert.match(await cli(['token', 'list', '--data-dir', target]).then(x => x.stdout), /spare/)
    assert.match(await cli(['nodes', 'list', '--active', '--data-dir', target]).then(x => x.stdout), new RegExp(W))
    await stopDaemon(restored)

    const back = await dumpDataDir(target)
    for (const [name, dump] of original) {
      assert.ok(back.has(name), `store ${name} is missing after restore: the backup left it out`)
      assert.deepEqual(back.get(name), dump, `store ${name} differs after backup and restore`)
    }
    // and nothing else but the restore marker, which holds the ledger until it caught up
    assert.deepEqual([...back.keys()].filter(n => !original.has(n)), [STORES.restoreMarker.name])
  })
})
