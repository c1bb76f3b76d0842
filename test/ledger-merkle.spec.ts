// The credit ledger's verifiable log core: RFC 6962 hashing and proofs (checked against the
// published CT reference vectors and a naive implementation of RFC 6962 §2.1 written here),
// the LevelDB-backed MerkleLog, C2SP checkpoints and signed notes, and an independent check of
// all of it by Go's golang.org/x/mod/sumdb/{note,tlog}.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Level } from 'level'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { EMPTY_ROOT, leafHash, verifyConsistency, verifyInclusion, rootFromInclusion } from '../src/ledger/merkle/hash.js'
import { MerkleLog, type LogDb } from '../src/ledger/merkle/merkle-log.js'
import { AppendQueue } from '../src/ledger/append-queue.js'
import {
  formatCheckpoint, parseCheckpoint, signNote, openNote, noteVerifierKey, parseVerifierKey, noteKeyId, MAX_NOTE_BYTES
} from '../src/ledger/merkle/checkpoint.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')

/** Expects `fn` to throw (or reject with) an error of this `name`. */
async function rejectsNamed (fn: () => unknown, name: string, label = ''): Promise<Error> {
  try {
    await fn()
  } catch (err) {
    assert.equal((err as Error).name, name, `${label}: expected ${name}, got ${(err as Error).name}: ${(err as Error).message}`)
    return err as Error
  }
  assert.fail(`${label}: expected ${name}, nothing was thrown`)
}

// --- RFC 6962 §2.1, word for word, over the leaf data itself (no storage, no cleverness) ---

const sha = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest())
const k = (n: number): number => { let p = 1; while (p * 2 < n) p *= 2; return p }

function MTH (d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha()
  if (d.length === 1) return sha(Uint8Array.of(0), d[0])
  const s = k(d.length)
  return sha(Uint8Array.of(1), MTH(d.slice(0, s)), MTH(d.slice(s)))
}

function PATH (m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return []
  const s = k(d.length)
  return m < s ? [...PATH(m, d.slice(0, s)), MTH(d.slice(s))] : [...PATH(m - s, d.slice(s)), MTH(d.slice(0, s))]
}

function SUBPROOF (m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [MTH(d)]
  const s = k(d.length)
  return m <= s
    ? [...SUBPROOF(m, d.slice(0, s), b), MTH(d.slice(s))]
    : [...SUBPROOF(m - s, d.slice(s), false), MTH(d.slice(0, s))]
}

const PROOF = (m: number, d: Uint8Array[]): Uint8Array[] => (m === 0 || m === d.length ? [] : SUBPROOF(m, d, true))

// --- the Certificate Transparency reference vectors (also in transparency-dev/merkle's tests) ---

const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex)
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'
]
const CT_INCLUSION: Array<{ index: number, size: number, path: string[] }> = [
  { index: 0, size: 1, path: [] },
  { index: 0, size: 8, path: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, path: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { index: 2, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 5, path: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] }
]
const CT_CONSISTENCY: Array<{ old: number, size: number, proof: string[] }> = [
  { old: 1, size: 1, proof: [] },
  { old: 1, size: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { old: 6, size: 8, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { old: 2, size: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] }
]

/** The 8 CT leaves, then deterministic leaves of varied length. */
function testLeaves (n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => (i < CT_LEAVES.length ? CT_LEAVES[i] : sha(Uint8Array.of(i & 0xff, i >> 8)).subarray(0, i % 33)))
}

// --- a real LevelDB per test ---

interface Opened { db: Level<string, string>, sub: LogDb, log: MerkleLog, dir: string }
const dirs: string[] = []

async function openLog (dir?: string): Promise<Opened> {
  dir ??= await mkdtemp(join(tmpdir(), 'merkle-'))
  if (!dirs.includes(dir)) dirs.push(dir)
  const db = new Level<string, string>(dir, { valueEncoding: 'utf8' })
  await db.open()
  const sub = db.sublevel<string, string>('log', { valueEncoding: 'utf8' })
  return { db, sub, log: await MerkleLog.open(sub), dir }
}

after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('RFC 6962 hashing and proofs', () => {
  it('reproduces the CT reference roots, and agrees with the naive MTH', () => {
    assert.equal(hex(EMPTY_ROOT), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    assert.equal(hex(MTH([])), hex(EMPTY_ROOT))
    assert.equal(hex(leafHash(new Uint8Array(0))), CT_ROOTS[0])
    for (let n = 1; n <= 8; n++) assert.equal(hex(MTH(CT_LEAVES.slice(0, n))), CT_ROOTS[n - 1], `root of size ${n}`)
  })

  it('verifies the CT reference inclusion and consistency proofs, and the naive PATH/PROOF give the same', () => {
    for (const v of CT_INCLUSION) {
      assert.deepEqual(PATH(v.index, CT_LEAVES.slice(0, v.size)).map(hex), v.path)
      assert.ok(verifyInclusion(leafHash(CT_LEAVES[v.index]), v.index, v.size, v.path.map(unhex), unhex(CT_ROOTS[v.size - 1])))
    }
    for (const v of CT_CONSISTENCY) {
      assert.deepEqual(PROOF(v.old, CT_LEAVES.slice(0, v.size)).map(hex), v.proof)
      assert.ok(verifyConsistency(v.old, v.size, v.proof.map(unhex), unhex(CT_ROOTS[v.old - 1]), unhex(CT_ROOTS[v.size - 1])))
    }
  })

  it('refuses altered proofs, wrong positions and wrong sizes', () => {
    const leaves = testLeaves(13)
    const root = MTH(leaves)
    for (let i = 0; i < 13; i++) {
      const path = PATH(i, leaves)
      const lh = leafHash(leaves[i])
      assert.ok(verifyInclusion(lh, i, 13, path, root))
      assert.equal(hex(rootFromInclusion(lh, i, 13, path) ?? new Uint8Array()), hex(root))
      if (path.length > 0) {
        const flipped = path.map((p, j) => (j === 0 ? Uint8Array.from(p, (b, x) => (x === 0 ? b ^ 1 : b)) : p))
        assert.ok(!verifyInclusion(lh, i, 13, flipped, root), 'flipped byte')
        assert.ok(!verifyInclusion(lh, i, 13, path.slice(1), root), 'short path')
      }
      assert.ok(!verifyInclusion(lh, i, 13, [...path, root], root), 'long path')
      assert.ok(!verifyInclusion(lh, (i + 1) % 13, 13, path, root), 'other index')
      // (a path for size 13 also fits size 14 when the position's shape is the same: the root pins the size)
      assert.ok(!verifyInclusion(lh, i, 26, path, root), 'a deeper tree')
      assert.ok(!verifyInclusion(lh, i + 13, 13, path, root), 'index past the end')
    }
    for (let m = 1; m < 13; m++) {
      const proof = PROOF(m, leaves)
      const old = MTH(leaves.slice(0, m))
      assert.ok(verifyConsistency(m, 13, proof, old, root))
      assert.ok(!verifyConsistency(m, 13, proof, old, old), 'wrong new root')
      assert.ok(!verifyConsistency(m, 13, proof, root, root), 'wrong old root')
      assert.ok(!verifyConsistency(m, 13, proof.slice(1), old, root), 'short proof')
      assert.ok(!verifyConsistency(m, 13, [...proof, root], old, root), 'long proof')
      assert.ok(!verifyConsistency(m, 26, proof, old, root), 'a deeper new tree')
    }
    assert.ok(verifyConsistency(0, 13, [], EMPTY_ROOT, root))
    assert.ok(!verifyConsistency(0, 13, [root], EMPTY_ROOT, root))
    assert.ok(verifyConsistency(13, 13, [], root, root))
    assert.ok(!verifyConsistency(13, 13, [], root, EMPTY_ROOT))
    assert.ok(!verifyConsistency(14, 13, [], root, root))
    assert.ok(!verifyInclusion(leafHash(leaves[0]), 0, 13, [new Uint8Array(31)], root), 'a 31-byte node')
  })
})

describe('MerkleLog', function () {
  this.timeout(120_000)

  it('matches the naive RFC 6962 reference for every size 1..70 and every index/size pair', async () => {
    const { db, log } = await openLog()
    const leaves = testLeaves(70)
    // uneven batches, so subtrees are completed inside a batch and across batches
    for (let i = 0; i < leaves.length;) {
      const n = 1 + (i % 7)
      const r = await log.append(leaves.slice(i, i + n))
      assert.equal(r.firstIndex, i)
      i += n
      assert.equal(r.size, Math.min(i, 70))
      assert.equal(hex(r.root), hex(MTH(leaves.slice(0, r.size))))
    }
    for (let n = 1; n <= 70; n++) {
      const root = await log.root(n)
      assert.equal(hex(root), hex(MTH(leaves.slice(0, n))), `root ${n}`)
      if (n <= 8) assert.equal(hex(root), CT_ROOTS[n - 1])
      for (let i = 0; i < n; i++) {
        const proof = await log.inclusionProof(i, n)
        assert.deepEqual(proof.map(hex), PATH(i, leaves.slice(0, n)).map(hex), `inclusion ${i} in ${n}`)
        assert.ok(verifyInclusion(await log.leafHashAt(i), i, n, proof, root))
      }
      for (let m = 0; m <= n; m++) {
        const proof = await log.consistencyProof(m, n)
        assert.deepEqual(proof.map(hex), PROOF(m, leaves.slice(0, n)).map(hex), `consistency ${m} -> ${n}`)
        assert.ok(verifyConsistency(m, n, proof, await log.root(m), root), `verify consistency ${m} -> ${n}`)
      }
    }
    assert.equal(hex(await log.root(0)), hex(EMPTY_ROOT))
    await db.close()
  })

  it('round-trips inclusion and consistency proofs at random sizes of a larger log', async () => {
    const { db, log } = await openLog()
    const total = 5000
    for (let i = 0; i < total; i += 997) await log.append(Array.from({ length: Math.min(997, total - i) }, (_, j) => randomBytes(1 + ((i + j) % 50))))
    assert.equal(log.size, total)
    const rnd = (n: number): number => Math.floor(Math.random() * n)
    for (let t = 0; t < 300; t++) {
      const n = 1 + rnd(total)
      const i = rnd(n)
      const m = rnd(n + 1)
      const root = await log.root(n)
      assert.ok(verifyInclusion(leafHash(await log.entry(i)), i, n, await log.inclusionProof(i, n), root), `inclusion ${i} in ${n}`)
      assert.ok(verifyConsistency(m, n, await log.consistencyProof(m, n), await log.root(m), root), `consistency ${m} -> ${n}`)
    }
    assert.equal(hex(await log.verifyAll()), hex(await log.root()))
    await db.close()
  })

  it('reads entries back, in ranges, and refuses out-of-range arguments with LogRangeError', async () => {
    const { db, log } = await openLog()
    const leaves = testLeaves(20)
    await log.append(leaves)
    assert.equal(hex(await log.entry(7)), hex(leaves[7]))
    const got: number[] = []
    for await (const { index, entry } of log.entries(3, 11)) { got.push(index); assert.equal(hex(entry), hex(leaves[index])) }
    assert.deepEqual(got, [3, 4, 5, 6, 7, 8, 9, 10])
    const none = []
    for await (const e of log.entries(20, 20)) none.push(e)
    assert.equal(none.length, 0)
    await rejectsNamed(async () => await log.entry(20), 'LogRangeError')
    await rejectsNamed(async () => await log.entry(-1), 'LogRangeError')
    await rejectsNamed(async () => await log.entry(1.5), 'LogRangeError')
    await rejectsNamed(async () => await log.leafHashAt(20), 'LogRangeError')
    await rejectsNamed(async () => await log.root(21), 'LogRangeError')
    await rejectsNamed(async () => await log.inclusionProof(5, 5), 'LogRangeError')
    await rejectsNamed(async () => await log.inclusionProof(0, 21), 'LogRangeError')
    await rejectsNamed(async () => await log.consistencyProof(6, 5), 'LogRangeError')
    await rejectsNamed(async () => await log.consistencyProof(1, 21), 'LogRangeError')
    await rejectsNamed(async () => { for await (const e of log.entries(5, 21)) void e }, 'LogRangeError')
    await rejectsNamed(async () => { for await (const e of log.entries(6, 5)) void e }, 'LogRangeError')
    const ac = new AbortController()
    ac.abort()
    await rejectsNamed(async () => await log.append([new Uint8Array(1)], { signal: ac.signal }), 'AbortError')
    assert.equal(log.size, 20)
    await db.close()
  })

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
    const dir = await mkdtemp(join(tmpdir(), 'merkle-crash-'))
    dirs.push(dir)
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

describe('C2SP checkpoints and signed notes', () => {
  const root = unhex(CT_ROOTS[7])

  it('formats and parses checkpoints, keeping extension lines', () => {
    const text = formatCheckpoint({ origin: 'example.com/log', size: 8, rootHash: root })
    assert.equal(text, `example.com/log\n8\n${b64(root)}\n`)
    assert.deepEqual(parseCheckpoint(text), { origin: 'example.com/log', size: 8, rootHash: root, extensions: [] })
    const ext = formatCheckpoint({ origin: 'o', size: 0, rootHash: EMPTY_ROOT, extensions: ['x-ext one', 'two'] })
    assert.deepEqual(parseCheckpoint(ext).extensions, ['x-ext one', 'two'])
  })

  it('refuses malformed checkpoints with MalformedCheckpointError', async () => {
    const r = b64(root)
    for (const bad of [
      '', 'o\n8\n', `o\n8\n${r}`, `\n8\n${r}\n`, `o\n08\n${r}\n`, `o\n-1\n${r}\n`, `o\n8.0\n${r}\n`, `o\n 8\n${r}\n`,
      `o\n99999999999999999999\n${r}\n`, `o\n8\n${r.slice(0, -4)}\n`, `o\n8\n${r.replace('=', 'A')}\n`, `o\n8\n${r}\n\n`,
      `o\n8\n${r}\nbad\rline\n`, `o\n8\n${b64(new Uint8Array(33))}\n`, `o\n8\n${'A'.repeat(MAX_NOTE_BYTES)}\n`
    ]) {
      await rejectsNamed(() => parseCheckpoint(bad), 'MalformedCheckpointError', JSON.stringify(bad.slice(0, 80)))
    }
    await rejectsNamed(() => formatCheckpoint({ origin: 'a\nb', size: 1, rootHash: root }), 'InvalidArgumentError')
    await rejectsNamed(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: new Uint8Array(3) }), 'InvalidArgumentError')
    await rejectsNamed(() => formatCheckpoint({ origin: 'o', size: -1, rootHash: root }), 'InvalidArgumentError')
  })

  it('opens the note from Go\'s sumdb/note documentation, and signs it byte for byte the same', async () => {
    // from golang.org/x/mod/sumdb/note's package doc (Ed25519 is deterministic)
    const vkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
    const skey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'
    const text = 'If you think cryptography is the answer to your problem,\nthen you don\'t know what your problem is.\n'
    const sig = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n'
    const enoch = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n'
    const opened = openNote(`${text}\n${sig}${enoch}`, [vkey])
    assert.equal(opened.text, text)
    assert.deepEqual(opened.verifiedBy, [{ name: 'PeterNeumann', keyId: 0xc74f20a3 }])
    assert.equal(opened.unverified[0].name, 'EnochRoot')
    const seed = Buffer.from(skey.split('+').slice(4).join('+'), 'base64').subarray(1)
    const key = await generateKeyPairFromSeed('Ed25519', seed)
    assert.equal(noteVerifierKey('PeterNeumann', key.publicKey.raw), vkey)
    assert.equal(await signNote(text, 'PeterNeumann', key), `${text}\n${sig}`)
  })

  it('signs and opens checkpoints with libp2p keys and external signers; several signers', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const origin = 'edgecoder/mesh-1/12D3KooWexample'
    const text = formatCheckpoint({ origin, size: 8, rootHash: root })
    const note = await signNote(text, origin, key)
    assert.ok(note.startsWith(`${text}\n— ${origin} `))
    const vkey = noteVerifierKey(origin, key.publicKey.raw)
    const v = parseVerifierKey(vkey)
    assert.equal(v.name, origin)
    assert.equal(v.keyId, noteKeyId(origin, key.publicKey.raw))
    assert.equal(hex(v.publicKey), hex(key.publicKey.raw))
    const opened = openNote(note, [vkey])
    assert.equal(opened.text, text)
    assert.deepEqual(parseCheckpoint(opened.text).rootHash, root)
    // a signer that holds its key elsewhere; two signatures on one note
    const external = { publicKey: other.publicKey.raw, sign: async (m: Uint8Array) => await other.sign(m) }
    const both = await signNote(text, [{ name: origin, key }, { name: 'witness.example', key: external }])
    const all = openNote(both, [vkey, noteVerifierKey('witness.example', other.publicKey.raw)])
    assert.deepEqual(all.verifiedBy.map(s => s.name), [origin, 'witness.example'])
    assert.deepEqual(openNote(both, [vkey]).unverified.map(s => s.name), ['witness.example'])
  })

  it('refuses wrong keys, altered text, bad encodings, missing signatures and key-id collisions', async () => {
    const key = await generateKeyPair('Ed25519')
    const stranger = await generateKeyPair('Ed25519')
    const origin = 'example.com/log'
    const vkey = noteVerifierKey(origin, key.publicKey.raw)
    const text = formatCheckpoint({ origin, size: 8, rootHash: root })
    const note = await signNote(text, origin, key)
    const sigLine = note.slice(text.length + 1)

    // another key under the same name: a different key id, so nothing we know signed it
    await rejectsNamed(() => openNote(note, [noteVerifierKey(origin, stranger.publicKey.raw)]), 'UnknownNoteKeyError')
    await rejectsNamed(() => openNote(note, [noteVerifierKey('other.example', key.publicKey.raw)]), 'UnknownNoteKeyError')
    // altered text under a valid signature
    await rejectsNamed(() => openNote(note.replace('\n8\n', '\n9\n'), [vkey]), 'InvalidNoteSignatureError')
    // the known name and key id, with a signature by another key (a colliding or forged id)
    const forged = await signNote(text, origin, stranger)
    const forgedSig = Buffer.from(forged.slice(text.length + 1 + `— ${origin} `.length, -1), 'base64')
    Buffer.from(sigLine.slice(`— ${origin} `.length, -1), 'base64').copy(forgedSig, 0, 0, 4)
    await rejectsNamed(() => openNote(`${text}\n— ${origin} ${forgedSig.toString('base64')}\n`, [vkey]), 'InvalidNoteSignatureError')
    // a good signature does not excuse a bad one by a known key on the same note
    await rejectsNamed(() => openNote(`${note}— ${origin} ${forgedSig.toString('base64')}\n`, [vkey]), 'InvalidNoteSignatureError')
    // a truncated signature by a known key
    const short = Buffer.from(sigLine.slice(`— ${origin} `.length, -1), 'base64').subarray(0, 40).toString('base64')
    await rejectsNamed(() => openNote(`${text}\n— ${origin} ${short}\n`, [vkey]), 'InvalidNoteSignatureError')

    for (const [what, bad] of [
      ['no signature lines', `${text}\n`],
      ['no blank line', `${text}${sigLine}`],
      ['no final newline', note.slice(0, -1)],
      ['bad base64', note.replace(/ ([A-Za-z0-9+/]{8})/, ' !$1')],
      ['base64 without padding', note.replace(/=\n$/, '\n')],
      ['too short a signature', `${text}\n— ${origin} AAAA\n`],
      ['hyphen instead of em dash', note.replace('—', '-')],
      ['no space after the name', `${text}\n— ${origin}\n`],
      ['a carriage return', note.replace('\n8\n', '\r\n8\n')],
      ['a lone surrogate', note.replace('example', 'ex\uD800ample')],
      ['too large', `${'a'.repeat(MAX_NOTE_BYTES)}\n\n${sigLine}`],
      ['too many signatures', `${text}\n${sigLine.repeat(101)}`]
    ]) {
      await rejectsNamed(() => openNote(bad, [vkey]), 'MalformedNoteError', what)
    }
    // a blank line among signatures ends the text there: the first line is then signed-over text
    await rejectsNamed(() => openNote(`${text}\n${sigLine}\n${sigLine}`, [vkey]), 'InvalidNoteSignatureError')

    for (const bad of [
      '', 'name', `${origin}+00000000+${b64(Uint8Array.of(1, ...key.publicKey.raw))}`, vkey.replace(/\+([0-9a-f]{8})\+/, (_m, id: string) => `+${id.toUpperCase()}+`),
      `with space+${vkey.split('+').slice(1).join('+')}`, `${origin}+${vkey.split('+')[1]}+${b64(Uint8Array.of(2, ...key.publicKey.raw))}`, vkey.slice(0, -4)
    ]) {
      await rejectsNamed(() => parseVerifierKey(bad), 'MalformedVerifierKeyError', bad)
    }
    await rejectsNamed(() => noteVerifierKey('a+b', key.publicKey.raw), 'MalformedVerifierKeyError')
    await rejectsNamed(async () => await signNote(text, 'has space', key), 'InvalidArgumentError')
    await rejectsNamed(async () => await signNote('no newline', origin, key), 'MalformedNoteError')
    await rejectsNamed(async () => await signNote('a\u0007\n', origin, key), 'MalformedNoteError')
  })
})

describe('Go reference verifier (golang.org/x/mod/sumdb)', function () {
  this.timeout(60_000)
  const bin = fileURLToPath(new URL('../../test/interop/bin/verify-go', import.meta.url))

  function runGo (input: unknown): { status: number | null, stdout: string, stderr: string } {
    const r = spawnSync(bin, [], { input: JSON.stringify(input), encoding: 'utf8', timeout: 30_000 })
    return { status: r.status, stdout: r.stdout, stderr: r.stderr }
  }

  it('accepts our signed checkpoint and proofs, refuses tampered ones', async function () {
    if (!existsSync(bin)) this.skip() // not built: run scripts/install-go-verifier.sh (needs Go and golang-golang-x-mod-dev)
    const { db, log } = await openLog()
    const entries = testLeaves(1000)
    for (let i = 0; i < entries.length; i += 333) await log.append(entries.slice(i, i + 333))
    const key = await generateKeyPair('Ed25519')
    const origin = 'edgecoder/interop/12D3KooWtest'
    const size = log.size
    const note = await signNote(formatCheckpoint({ origin, size, rootHash: await log.root() }), origin, key)
    const verifierKey = noteVerifierKey(origin, key.publicKey.raw)
    const proofs: Array<Record<string, unknown>> = []
    for (const index of [0, 1, 7, 8, 511, 512, 998, 999]) {
      proofs.push({ kind: 'inclusion', index, entry: b64(await log.entry(index)), proof: (await log.inclusionProof(index, size)).map(b64) })
    }
    for (const oldSize of [1, 2, 3, 8, 500, 512, 513, 999, 1000]) {
      proofs.push({ kind: 'consistency', oldSize, oldRoot: b64(await log.root(oldSize)), proof: (await log.consistencyProof(oldSize, size)).map(b64) })
    }
    const ok = runGo({ note, verifierKey, proofs })
    assert.equal(ok.status, 0, ok.stderr)
    assert.deepEqual(JSON.parse(ok.stdout), { ok: true, origin, size, root: b64(await log.root()), signatures: 1, proofs: proofs.length })

    const tampered = runGo({ note: note.replace(`\n${size}\n`, `\n${size + 1}\n`), verifierKey, proofs: [] })
    assert.notEqual(tampered.status, 0)
    assert.match(tampered.stderr, /invalid signature/)
    const wrongKey = runGo({ note, verifierKey: noteVerifierKey(origin, (await generateKeyPair('Ed25519')).publicKey.raw), proofs: [] })
    assert.notEqual(wrongKey.status, 0)
    const badProof = runGo({ note, verifierKey, proofs: [{ ...proofs[2], index: 6 }] })
    assert.notEqual(badProof.status, 0)
    assert.match(badProof.stderr, /inclusion of entry 6/)
    const badConsistency = runGo({ note, verifierKey, proofs: [{ ...proofs[proofs.length - 3], oldRoot: b64(await log.root(5)) }] })
    assert.notEqual(badConsistency.status, 0)
    await db.close()
  })
})
