// RFC 6962 hashing and proofs: the CT reference roots, inclusion and consistency proofs (against
// the published vectors and the naive reference in test/merkle/reference.ts), altered proofs
// refused; and the LevelDB-backed MerkleLog giving the reference's roots and proofs at every size,
// reading entries back and refusing out-of-range arguments.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { EMPTY_ROOT, leafHash, verifyConsistency, verifyInclusion, rootFromInclusion } from '../src/ledger/merkle/hash.js'
import { CT_CONSISTENCY, CT_INCLUSION, CT_LEAVES, CT_ROOTS, MTH, PATH, PROOF, hex, testLeaves, unhex } from './merkle/reference.js'
import { openLog, rejectsNamed, removeLogDirs } from './merkle/helpers.js'

after(removeLogDirs)

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
})
