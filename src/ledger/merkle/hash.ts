// RFC 6962 / RFC 9162 Merkle tree hashing and proof verification, as pure functions.
// Leaves and interior nodes get distinct one-byte prefixes so a leaf can never pass for a node.
// Sizes and indexes are JS numbers (safe integers, up to 2^53 - 1), so halving is done with
// arithmetic, never with 32-bit bit operators.
import { hash as oneShot } from 'node:crypto'

export const HASH_SIZE = 32

function sha256 (data: Uint8Array): Uint8Array {
  // a latin1 ('binary') string and a copy loop is faster than asking node:crypto for a Buffer, and
  // hashing is a large part of an append's cost (docs/benchmarks.md)
  const s = oneShot('sha256', data, 'binary')
  const out = new Uint8Array(HASH_SIZE)
  for (let i = 0; i < HASH_SIZE; i++) out[i] = s.charCodeAt(i)
  return out
}

/** MTH({}) = SHA-256(); shared, do not modify */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0))

// Scratch space for the prefixed input: node:crypto hashes it before returning, so reuse is safe
// and saves an allocation per hash (appends hash every entry and every completed subtree).
// Larger entries get their own buffer, so one huge entry does not stay pinned in memory.
const scratch = new Uint8Array(4096)

function prefixed (prefix: number, a: Uint8Array, b?: Uint8Array): Uint8Array {
  const n = 1 + a.length + (b?.length ?? 0)
  const buf = n <= scratch.length ? scratch : new Uint8Array(n)
  buf[0] = prefix
  buf.set(a, 1)
  if (b != null) buf.set(b, 1 + a.length)
  return buf.subarray(0, n)
}

/** SHA-256(0x00 || entry) */
export function leafHash (entry: Uint8Array): Uint8Array {
  return sha256(prefixed(0, entry))
}

/** SHA-256(0x01 || left || right) */
export function nodeHash (left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(prefixed(1, left, right))
}

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The largest power of two strictly less than n (n >= 2): the size of the left subtree in RFC 6962 §2.1. */
export function splitPoint (n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

const half = (x: number): number => Math.floor(x / 2)
const isOdd = (x: number): boolean => x % 2 === 1
const isCount = (x: number): boolean => Number.isSafeInteger(x) && x >= 0
const wellFormed = (proof: Uint8Array[]): boolean => proof.every(p => p instanceof Uint8Array && p.length === HASH_SIZE)

/**
 * The root implied by an inclusion proof (audit path, leaf upward) for the leaf at `index` in a
 * tree of `treeSize` leaves (RFC 9162 §2.1.3.2), or undefined when the path cannot be one for
 * that position (wrong length, bad arguments).
 */
export function rootFromInclusion (leaf: Uint8Array, index: number, treeSize: number, proof: Uint8Array[]): Uint8Array | undefined {
  if (!isCount(index) || !isCount(treeSize) || index >= treeSize) return undefined
  if (leaf.length !== HASH_SIZE || !wellFormed(proof)) return undefined
  let fn = index
  let sn = treeSize - 1
  let r = leaf
  for (const p of proof) {
    if (sn === 0) return undefined
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r)
      // a left sibling on the right edge: climb past the levels where this node has no sibling
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) { fn = half(fn); sn = half(sn) }
      }
    } else {
      r = nodeHash(r, p)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return sn === 0 ? r : undefined
}

/** RFC 9162 §2.1.3.2: does `proof` show the leaf with hash `leaf` at `index` in the tree of `treeSize` with `root`? */
export function verifyInclusion (leaf: Uint8Array, index: number, treeSize: number, proof: Uint8Array[], root: Uint8Array): boolean {
  const r = rootFromInclusion(leaf, index, treeSize, proof)
  return r != null && bytesEqual(r, root)
}

/**
 * The two roots implied by a consistency proof from `oldSize` (whose root is `oldRoot`) to
 * `newSize` (RFC 9162 §2.1.4.2), for 0 < oldSize < newSize; undefined when the proof cannot be
 * one for these sizes. The old root is needed as an input when oldSize is a power of two (the
 * proof then omits it) and is recomputed otherwise.
 */
function rootsFromConsistency (oldSize: number, newSize: number, proof: Uint8Array[], oldRoot: Uint8Array): { oldRoot: Uint8Array, newRoot: Uint8Array } | undefined {
  if (proof.length === 0) return undefined
  // an exact power of two: the old tree is a complete subtree of the new one, its root is the first node
  const path = isPow2(oldSize) ? [oldRoot, ...proof] : proof
  let fn = oldSize - 1
  let sn = newSize - 1
  while (isOdd(fn)) { fn = half(fn); sn = half(sn) }
  let fr = path[0]
  let sr = path[0]
  for (const c of path.slice(1)) {
    if (sn === 0) return undefined
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) { fn = half(fn); sn = half(sn) }
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return sn === 0 ? { oldRoot: fr, newRoot: sr } : undefined
}

function isPow2 (n: number): boolean {
  let k = 1
  while (k < n) k *= 2
  return k === n
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show the tree of `oldSize` with `oldRoot` is a prefix of the
 * tree of `newSize` with `newRoot`? Equal sizes need an empty proof and equal roots; the empty
 * tree (size 0, root SHA-256("")) is a prefix of every tree, with an empty proof.
 */
export function verifyConsistency (oldSize: number, newSize: number, proof: Uint8Array[], oldRoot: Uint8Array, newRoot: Uint8Array): boolean {
  if (!isCount(oldSize) || !isCount(newSize) || oldSize > newSize) return false
  if (oldRoot.length !== HASH_SIZE || newRoot.length !== HASH_SIZE || !wellFormed(proof)) return false
  if (oldSize === 0) return proof.length === 0 && bytesEqual(oldRoot, EMPTY_ROOT)
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot)
  const roots = rootsFromConsistency(oldSize, newSize, proof, oldRoot)
  return roots != null && bytesEqual(roots.oldRoot, oldRoot) && bytesEqual(roots.newRoot, newRoot)
}
