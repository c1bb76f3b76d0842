// A coordinator restored from a backup older than its last checkpoint must not fork its own log:
// real nodes on loopback, real LevelDB, the real backup file. The coordinator is backed up, runs on
// and checkpoints past the backup, and is then restored into a fresh data dir: it holds its appends
// (submits refused with LedgerAppendsHeldError, /ready says why) until a worker whose replica holds
// the newer checkpoint connects; it then catches up (its log extends that checkpoint again) and
// settles new work, and no replica records evidence against it.
import assert from 'node:assert/strict'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { Fixture, freePort, waitFor } from './helpers.js'
import type { EdgecoderNode } from '../src/node/create-node.js'
import { createBackup, restoreBackup } from '../src/ops/backup.js'
import { openNote, parseCheckpoint } from '../src/ledger/merkle/checkpoint.js'

async function backupTo (node: EdgecoderNode, file: string): Promise<void> {
  const w = createWriteStream(file, { mode: 0o600 })
  for await (const c of createBackup(node)) w.write(c)
  w.end()
  await finished(w)
}

describe('restore from an old backup: no fork of the own log', function () {
  this.timeout(180_000)
  const fx = new Fixture()
  after(async () => { await fx.cleanup() })

  it('holds appends, catches up from a worker\'s replica to the newer checkpoint, and forks nothing', async () => {
    const port = await freePort()
    const listen = [`/ip4/127.0.0.1/tcp/${port}`]
    const key: PrivateKey = await generateKeyPair('Ed25519')
    const wkey: PrivateKey = await generateKeyPair('Ed25519')
    const cdir = join(await fx.dir(), 'c')
    const wdir = join(await fx.dir(), 'w')
    const copts = { privateKey: key, listen, checkpointIntervalMs: 200 }
    let c = await fx.coordinator({ ...copts, dataDir: cdir })
    const boot = c.bootstrapConfig()
    let [w] = await fx.workers(1, c, { privateKey: wkey, dataDir: wdir })
    const run = async (n: number, tag: string): Promise<void> => {
      const ids: string[] = []
      for (let i = 0; i < n; i++) ids.push(await c.jobs.submit({ executor: 'noop', input: `${tag}${i}` }))
      for (const id of ids) assert.equal((await c.jobs.wait(id, { signal: AbortSignal.timeout(30_000) })).state, 'succeeded')
    }
    const replicaSize = (): number => w.replica?.has(c.peerId.toString()) === true ? w.replica.state(c.peerId.toString()).verifiedSize : -1
    await run(5, 'a')
    await waitFor(() => replicaSize() === c.ledger?.size, 20_000, 'the worker\'s replica at the coordinator\'s size')
    const file = join(await fx.dir(), 'old.backup')
    await backupTo(c, file)
    const backupSize = c.ledger?.size ?? 0

    // the original runs on: the worker's replica verifies a checkpoint past the backup
    await run(6, 'b')
    await waitFor(() => replicaSize() === c.ledger?.size, 20_000, 'the replica at the newer checkpoint')
    const newer = parseCheckpoint(openNote(w.replica?.state(c.peerId.toString()).note ?? '', [c.ledger?.noteKey ?? '']).text)
    assert.ok(newer.size > backupSize, `checkpoint ${newer.size} is past the backup's ${backupSize}`)
    await c.stop()
    await w.stop()

    const rdir = join(await fx.dir(), 'restored')
    await restoreBackup(file, rdir)
    c = await fx.coordinator({ ...copts, dataDir: rdir })
    assert.equal(c.ledger?.size, backupSize)
    // alone, it cannot know what it signed since: it refuses to append, and says why
    assert.match(c.ledger?.appendsHeld ?? '', /restored from a backup/)
    await assert.rejects(c.jobs.submit({ executor: 'noop', input: 'too early' }), (e: Error) => e.name === 'LedgerAppendsHeldError')
    const ready = await c.ops.ready()
    assert.equal(ready.ready, false)
    assert.ok(ready.reasons.some(r => r.startsWith('ledger appends held')), JSON.stringify(ready.reasons))

    // the worker comes back with its replica of the newer checkpoint: the coordinator catches up
    w = await fx.node({ role: 'worker', bootstrap: boot, privateKey: wkey, dataDir: wdir })
    await waitFor(() => c.ledger?.appendsHeld == null, 30_000, 'the restored coordinator to catch up and resume')
    assert.ok((c.ledger?.size ?? 0) >= newer.size)
    assert.deepEqual(await c.ledger?.root(newer.size), newer.rootHash, 'its log extends the newer checkpoint again')
    assert.equal(c.ledger?.checkpointSize, newer.size)

    // new work is settled on top, and the replica verifies it without evidence
    await waitFor(() => w.worker?.coordinators.has(c.peerId.toString()) === true, 20_000, 'the worker to accept the coordinator')
    await run(3, 'c')
    await waitFor(() => replicaSize() === c.ledger?.size && replicaSize() > newer.size, 20_000, 'the replica to verify a checkpoint past the caught-up one')
    assert.deepEqual(await w.replica?.evidence(), [], 'no replica recorded evidence')
    assert.equal((await c.ledger?.verifyAll()) != null, true)
  })
})
