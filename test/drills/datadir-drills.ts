// The data dir fault drills (root only: a tmpfs and read-only bind mounts): a full data dir gives
// a clear error, corrupts nothing and settles once space is freed; a read-only one makes start
// fail with one clear line and changes nothing.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { DrillMesh } from './mesh.js'
import { checkInvariants } from './invariants.js'
import type { DrillProfile } from './profile.js'
import { LEASE_MS, sleep, submitMix, summary, waitRunning } from './support.js'

const run = promisify(execFile)

/** Registers the data dir drills inside the caller's describe. */
export function registerDataDirDrills (profile: DrillProfile): void {
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
