// The LevelDB-backed MerkleLog as storage: size and root across close and reopen, concurrent
// appends in call order, the group-commit queue's flushed(), tampering found by verifyAll, a log
// missing its hashes refused at open, a kill -9 mid-append leaving a whole log, and the append
// timing of 100k entries. Its roots and proofs: test/ledger-merkle-proofs.spec.ts.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Level } from 'level'
import { MerkleLog } from '../src/ledger/merkle/merkle-log.js'
import { AppendQueue } from '../src/ledger/append-queue.js'
import { MTH, hex, testLeaves, unhex } from './merkle/reference.js'
import { openLog, rejectsNamed, removeLogDirs, tempLogDir } from './merkle/helpers.js'

after(removeLogDirs)

describe('MerkleLog', function () {
  this.timeout(120_000)

  it('keeps size and root across close and reopen', async () => {
    const a = await openLog()
    await a.log.append(testLeaves(37))
    const root = await a.log.root()
    await a.db.close()
    const b = await openLog(a.dir)
    assert.equal(b.log.size, 37)
    assert.equal(hex(await b.log.root()), hex(root))
    assert.equal(hex(await b.log.root(20)), hex(MTH(testLeaves(20))))
    const r = await b.log.append([unhex('abcd')])
    assert.equal(hex(r.root), hex(MTH([...testLeaves(37), unhex('abcd')])))
    await b.db.close()
  })

  it('serializes concurrent appends in call order', async () => {
    const { db, log } = await openLog()
    const batches = Array.from({ length: 25 }, (_, b) => Array.from({ length: 1 + (b % 4) }, (_, j) => Uint8Array.of(b, j)))
    const results = await Promise.all(batches.map(async b => await log.append(b)))
    let expected = 0
    for (const [i, r] of results.entries()) {
      assert.equal(r.firstIndex, expected)
      expected += batches[i].length
      assert.equal(r.size, expected)
    }
    assert.equal(hex(await log.root()), hex(MTH(batches.flat())))
    assert.equal(hex(await log.verifyAll()), hex(MTH(batches.flat())))
    await db.close()
  })

  it('the group-commit queue: flushed() covers what was appended before it, while appends keep coming', async () => {
    // a checkpoint waits on this: waiting for the queue to go idle never ended under steady load
    const { db, log } = await openLog()
    const q = new AppendQueue(log)
    let streaming = true
    let sent = 0
    const landed: Array<Promise<number>> = []
    const stream = (async () => {
      while (streaming) {
        landed.push(q.append(Uint8Array.of(sent & 0xff, sent >> 8)))
        sent++
        await new Promise(resolve => setImmediate(resolve))
      }
    })()
    await new Promise(resolve => setTimeout(resolve, 50))
    const before = sent
    let timer: ReturnType<typeof setTimeout> | undefined
    const done = await Promise.race([
      q.flushed().then(() => true),
      new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), 5_000) })
    ])
    clearTimeout(timer)
    const sizeThen = log.size
    streaming = false
    await stream
    await Promise.all(landed)
    assert.ok(before > 0)
    assert.ok(done, 'flushed() resolved within 5 s while entries were still being appended')
    assert.ok(sizeThen >= before, `size ${sizeThen} covers the ${before} entries appended before the call`)
    assert.ok(sent > sizeThen, 'later appends were still in flight')
    assert.equal(log.size, sent)
    await db.close()
  })

  it('verifyAll names the first tampered entry or subtree hash (LogCorruptError)', async () => {
    const { db, sub, log } = await openLog()
    await log.append(testLeaves(40))
    assert.equal(hex(await log.verifyAll()), hex(MTH(testLeaves(40))))
    await log.tamperForTests(13)
    const err = await rejectsNamed(async () => await log.verifyAll(), 'LogCorruptError')
    assert.equal((err as Error & { index?: number }).index, 13)
    assert.match(err.message, /entry 13/)
    await log.tamperForTests(13) // flips it back
    assert.equal(hex(await log.verifyAll()), hex(MTH(testLeaves(40))))
    // a stored interior hash (level 2, index 5: leaves 20..23): per the documented layout, slot 2
    // of the record of leaf 23, the leaf that completed it
    const record = await sub.get<string, Uint8Array>('e0000000000000023', { valueEncoding: 'view' }) as Uint8Array
    assert.equal(record[0], 4, 'leaf 23 completes subtrees of levels 0 to 3 (leaves 16..23)')
    record.fill(0, 1 + 2 * 32, 1 + 3 * 32)
    await sub.put<string, Uint8Array>('e0000000000000023', record, { valueEncoding: 'view' })
    const err2 = await rejectsNamed(async () => await log.verifyAll(), 'LogCorruptError')
    assert.equal((err2 as Error & { index?: number }).index, 20)
    assert.match(err2.message, /leaves 20\.\.23/)
    await db.close()
  })

  it('refuses to open a log whose stored size lacks its hashes', async () => {
    const a = await openLog()
    await a.log.append(testLeaves(6))
    await a.sub.del('e0000000000000005') // leaf 5 holds the hash of leaves 4..5, part of the size-6 root
    await a.db.close()
    const db = new Level<string, string>(a.dir, { valueEncoding: 'utf8' })
    await rejectsNamed(async () => await MerkleLog.open(db.sublevel<string, string>('log', { valueEncoding: 'utf8' })), 'LogCorruptError')
    await db.close()
  })

  it('survives kill -9 in the middle of appends with a whole, consistent log', async () => {
    const dir = await tempLogDir('merkle-crash-')
    const logModule = new URL('../src/ledger/merkle/merkle-log.js', import.meta.url).href
    const script = `
      import { Level } from 'level'
      import { MerkleLog } from ${JSON.stringify(logModule)}
      const db = new Level(${JSON.stringify(dir)}, { valueEncoding: 'utf8' })
      await db.open()
      const log = await MerkleLog.open(db.sublevel('log', { valueEncoding: 'utf8' }))
      process.stdout.write('ready\\n')
      for (let b = 0; ; b++) {
        const first = log.size
        await log.append(Array.from({ length: 1 + (b % 300) }, (_, j) => new TextEncoder().encode('entry-' + (first + j))))
      }`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../../', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve())
      child.once('exit', code => reject(new Error(`writer exited early (${code})`)))
    })
    await new Promise(resolve => setTimeout(resolve, 400 + Math.random() * 300))
    child.kill('SIGKILL')
    await new Promise(resolve => child.once('exit', resolve))
    const { db, log } = await openLog(dir)
    assert.ok(log.size > 0, 'the writer got some batches in')
    for await (const { index, entry } of log.entries(0, log.size)) assert.equal(new TextDecoder().decode(entry), `entry-${index}`)
    assert.equal(hex(await log.verifyAll()), hex(await log.root()))
    console.log(`      (killed the writer at size ${log.size}; reopened whole)`)
    await db.close()
  })

  it('appends 100k entries in batches of 1000 (timing printed)', async () => {
    const { db, log } = await openLog()
    const entry = randomBytes(100)
    const t0 = performance.now()
    for (let b = 0; b < 100; b++) await log.append(Array.from({ length: 1000 }, () => entry))
    const ms = performance.now() - t0
    assert.equal(log.size, 100_000)
    const t1 = performance.now()
    const root = await log.verifyAll()
    const verifyMs = performance.now() - t1
    assert.equal(hex(root), hex(await log.root()))
    const t2 = performance.now()
    for (let i = 0; i < 1000; i++) await log.inclusionProof((i * 7919) % (100_000 - i), 100_000 - i)
    const proofMs = performance.now() - t2
    console.log(`      100k appends (100 B, batches of 1000): ${ms.toFixed(0)} ms; verifyAll: ${verifyMs.toFixed(0)} ms; 1000 inclusion proofs: ${proofMs.toFixed(0)} ms`)
    await db.close()
  })
})
