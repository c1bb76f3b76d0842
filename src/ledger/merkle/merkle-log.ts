// An append-only log with an RFC 6962 Merkle tree, stored in a LevelDB sublevel the caller owns.
//
// Storage layout (keys are utf8 strings inside the sublevel; values are raw bytes, written and read
// with per-operation encodings, so the sublevel's own default value encoding does not matter):
//   size                     -> tree size, ASCII decimal
//   e<index, 16 digits>      -> entry bytes
//   h<level, 2 digits><i, 16 digits> -> SHA-256 hash of the complete aligned subtree at `level`
//                               covering leaves [i·2^level, (i+1)·2^level); level 0 = leaf hashes
// A subtree hash is written in the same batch as the entry that completes it, together with the
// new size, so every stored size has all its hashes and a crash leaves the old log or the new one.
//
// Cost: every RFC subtree the proofs need is either complete and aligned (one stored hash) or the
// right edge of the tree, which splits into at most log2(n) complete aligned subtrees. An audit
// path or a consistency proof crosses that incomplete right edge at most once, so root(size),
// inclusionProof and consistencyProof each read O(log n) stored hashes, in one getMany. append reads
// nothing: the hashes of the current tree's complete subtrees (one per set bit of the size) are
// kept in memory.
//
// Measured on the 2-core CI machine (Node 24): 100k entries of 100 bytes in batches of 1000 append
// in about 0.8 s; see the timing test in test/ledger-merkle.spec.ts.
import type { Level } from 'level'
import { leafHash, nodeHash, bytesEqual, splitPoint, EMPTY_ROOT, HASH_SIZE } from './hash.js'
import { LogCorruptError, LogRangeError } from './errors.js'
import { InvalidArgumentError } from '../../errors/index.js'

declare const parent: Level<string, string>
/** What MerkleLog is stored in: a sublevel of a `Level<string, string>` (any default value encoding). */
export type LogDb = ReturnType<typeof parent.sublevel<string, string>>

export interface LogOptions { signal?: AbortSignal }

const SIZE_KEY = 'size'
const pad = (n: number, width: number): string => n.toString().padStart(width, '0')
const entryKey = (index: number): string => `e${pad(index, 16)}`
const hashKey = (level: number, index: number): string => `h${pad(level, 2)}${pad(index, 16)}`
const VIEW = { keyEncoding: 'utf8', valueEncoding: 'view' } as const
const ascii = new TextEncoder()

/** A complete aligned subtree: `level` and index at that level. */
interface Node { level: number, index: number }

/** A LogCorruptError with `index`: the first leaf whose entry or covering hash is bad. */
function corruptAt (index: number, message: string): Error & { index: number } {
  return Object.assign(new LogCorruptError(message), { index })
}

/** The complete aligned subtrees that [start, end) splits into, left to right, largest first. */
function cover (start: number, end: number): Node[] {
  const out: Node[] = []
  let pos = start
  while (pos < end) {
    let size = 1
    while (pos % (size * 2) === 0 && pos + size * 2 <= end) size *= 2
    out.push({ level: Math.log2(size), index: pos / size })
    pos += size
  }
  return out
}

/** MTH of a range from the hashes of its cover: the right edge folds from the smallest subtree up. */
function foldRight (hashes: Uint8Array[]): Uint8Array {
  let r = hashes[hashes.length - 1]
  for (let i = hashes.length - 2; i >= 0; i--) r = nodeHash(hashes[i], r)
  return r
}

/** RFC 6962 PATH(m, D[lo:hi]) as the list of subtree ranges whose hashes it consists of, leaf upward. */
function pathRanges (m: number, lo: number, hi: number, out: Array<[number, number]>): void {
  if (hi - lo <= 1) return
  const k = splitPoint(hi - lo)
  if (m < lo + k) {
    pathRanges(m, lo, lo + k, out)
    out.push([lo + k, hi])
  } else {
    pathRanges(m, lo + k, hi, out)
    out.push([lo, lo + k])
  }
}

/** RFC 6962 SUBPROOF(m, D[lo:hi], b) with m an absolute leaf count, as subtree ranges. */
function subproofRanges (m: number, lo: number, hi: number, complete: boolean, out: Array<[number, number]>): void {
  if (m === hi) {
    if (!complete) out.push([lo, hi])
    return
  }
  const k = splitPoint(hi - lo)
  if (m <= lo + k) {
    subproofRanges(m, lo, lo + k, complete, out)
    out.push([lo + k, hi])
  } else {
    subproofRanges(m, lo + k, hi, false, out)
    out.push([lo, lo + k])
  }
}

export class MerkleLog {
  private length: number
  /** hashes of the complete subtrees of the current tree, left to right (one per set bit of the size) */
  private frontier: Uint8Array[]
  private tail: Promise<unknown> = Promise.resolve()

  private constructor (private readonly db: LogDb, size: number, frontier: Uint8Array[]) {
    this.length = size
    this.frontier = frontier
  }

  /** Opens the log kept in `db` (the caller opens and closes the Level instance). */
  static async open (db: LogDb, options: LogOptions = {}): Promise<MerkleLog> {
    options.signal?.throwIfAborted()
    const raw = await db.get<string, string>(SIZE_KEY, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
    const size = raw == null ? 0 : Number(raw)
    if (raw != null && (!/^(0|[1-9][0-9]*)$/.test(raw) || !Number.isSafeInteger(size))) {
      throw new LogCorruptError(`stored log size "${raw}" is not a tree size`)
    }
    const nodes = cover(0, size)
    const keys = [...nodes.map(n => hashKey(n.level, n.index)), ...(size > 0 ? [entryKey(size - 1)] : [])]
    const values = await db.getMany<string, Uint8Array>(keys, VIEW)
    values.forEach((v, i) => {
      if (v == null || (i < nodes.length && v.length !== HASH_SIZE)) throw new LogCorruptError(`log of size ${size} lacks ${keys[i]}`)
    })
    return new MerkleLog(db, size, values.slice(0, nodes.length) as Uint8Array[])
  }

  get size (): number { return this.length }

  /**
   * Appends entries in ONE LevelDB batch (entries, new subtree hashes, new size). Calls are
   * serialized: each starts from the tree the previous one left.
   */
  async append (entries: Uint8Array[], options: LogOptions = {}): Promise<{ firstIndex: number, size: number, root: Uint8Array }> {
    const run = this.tail.then(async () => await this.appendNow(entries, options))
    this.tail = run.catch(() => {})
    return await run
  }

  private async appendNow (entries: Uint8Array[], options: LogOptions): Promise<{ firstIndex: number, size: number, root: Uint8Array }> {
    options.signal?.throwIfAborted()
    const firstIndex = this.length
    if (entries.length === 0) return { firstIndex, size: firstIndex, root: await this.root() }
    const stack = cover(0, firstIndex).map((n, i) => ({ level: n.level, hash: this.frontier[i] }))
    const ops: Array<{ type: 'put', key: string, value: Uint8Array }> = []
    let n = firstIndex
    for (const entry of entries) {
      if (!(entry instanceof Uint8Array)) throw new InvalidArgumentError(`entry ${n} is not a Uint8Array`)
      const h = leafHash(entry)
      ops.push({ type: 'put', key: entryKey(n), value: entry }, { type: 'put', key: hashKey(0, n), value: h })
      stack.push({ level: 0, hash: h })
      // two complete subtrees of one level side by side make one of the next level
      while (stack.length >= 2 && stack[stack.length - 1].level === stack[stack.length - 2].level) {
        const right = stack.pop() as { level: number, hash: Uint8Array }
        const left = stack.pop() as { level: number, hash: Uint8Array }
        const level = left.level + 1
        const hash = nodeHash(left.hash, right.hash)
        ops.push({ type: 'put', key: hashKey(level, Math.floor(n / 2 ** level)), value: hash })
        stack.push({ level, hash })
      }
      n++
    }
    ops.push({ type: 'put', key: SIZE_KEY, value: ascii.encode(String(n)) })
    options.signal?.throwIfAborted()
    await this.db.batch<string, Uint8Array>(ops, VIEW)
    this.length = n
    this.frontier = stack.map(s => s.hash)
    return { firstIndex, size: n, root: foldRight(this.frontier) }
  }

  /** MTH of the first `size` entries (default: all). */
  async root (size: number = this.length, options: LogOptions = {}): Promise<Uint8Array> {
    this.checkSize(size, 'size')
    if (size === 0) return EMPTY_ROOT
    if (size === this.length) return foldRight(this.frontier)
    const [hashes] = await this.rangeHashes([[0, size]], options)
    return hashes
  }

  async entry (index: number, options: LogOptions = {}): Promise<Uint8Array> {
    this.checkIndex(index, this.length)
    options.signal?.throwIfAborted()
    const v = await this.db.get<string, Uint8Array>(entryKey(index), VIEW)
    if (v == null) throw new LogCorruptError(`entry ${index} is missing`)
    return v
  }

  /** Entries [from, to) in order. */
  async * entries (from: number, to: number, options: LogOptions = {}): AsyncGenerator<{ index: number, entry: Uint8Array }> {
    this.checkSize(to, 'end')
    if (!Number.isSafeInteger(from) || from < 0 || from > to) throw new LogRangeError(`entries ${from}..${to}: start must be in 0..${to}`)
    let next = from
    for await (const [key, entry] of this.db.iterator<string, Uint8Array>({ gte: entryKey(from), lt: entryKey(to), ...VIEW })) {
      options.signal?.throwIfAborted()
      if (key !== entryKey(next)) throw new LogCorruptError(`entry ${next} is missing`)
      yield { index: next++, entry }
    }
    if (next !== to) throw new LogCorruptError(`entry ${next} is missing`)
  }

  async leafHashAt (index: number, options: LogOptions = {}): Promise<Uint8Array> {
    this.checkIndex(index, this.length)
    const [h] = await this.readNodes([{ level: 0, index }], options)
    return h
  }

  /** RFC 6962 audit path for leaf `index` in the tree of `treeSize`, leaf upward. */
  async inclusionProof (index: number, treeSize: number, options: LogOptions = {}): Promise<Uint8Array[]> {
    this.checkSize(treeSize, 'tree size')
    this.checkIndex(index, treeSize)
    const ranges: Array<[number, number]> = []
    pathRanges(index, 0, treeSize, ranges)
    return await this.rangeHashes(ranges, options)
  }

  /** RFC 6962 consistency proof from the tree of `oldSize` to the tree of `newSize` (empty when oldSize is 0 or equal). */
  async consistencyProof (oldSize: number, newSize: number, options: LogOptions = {}): Promise<Uint8Array[]> {
    this.checkSize(newSize, 'new size')
    if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize) throw new LogRangeError(`old size ${oldSize} must be in 0..${newSize}`)
    if (oldSize === 0 || oldSize === newSize) return []
    const ranges: Array<[number, number]> = []
    subproofRanges(oldSize, 0, newSize, true, ranges)
    return await this.rangeHashes(ranges, options)
  }

  /**
   * Recomputes every stored hash from the entries alone and compares; returns the recomputed root
   * of the whole log. Streams: memory stays O(log n) whatever the size. Throws LogCorruptError
   * naming the first entry (or subtree) that disagrees, with `index` set to its first leaf.
   */
  async verifyAll (options: LogOptions = {}): Promise<Uint8Array> {
    const size = this.length
    const cursors: HashCursor[] = []
    const stack: Array<{ level: number, hash: Uint8Array }> = []
    const check = async (level: number, index: number, computed: Uint8Array): Promise<void> => {
      const stored = await (cursors[level] ??= new HashCursor(this.db, level)).next(index)
      if (stored != null && bytesEqual(stored, computed)) return
      const first = index * 2 ** level
      const what = stored == null
        ? `the stored hash of leaves ${first}..${first + 2 ** level - 1} (level ${level}) is missing`
        : level === 0
          ? `entry ${index} does not match its stored leaf hash`
          : `the stored hash of leaves ${first}..${first + 2 ** level - 1} (level ${level}) does not match the entries`
      throw corruptAt(first, what)
    }
    const entries = this.db.iterator<string, Uint8Array>({ gte: entryKey(0), lt: entryKey(size), ...VIEW })
    try {
      let n = 0
      for await (const [key, entry] of entries) {
        options.signal?.throwIfAborted()
        if (key !== entryKey(n)) throw corruptAt(n, `entry ${n} is missing`)
        const h = leafHash(entry)
        await check(0, n, h)
        stack.push({ level: 0, hash: h })
        while (stack.length >= 2 && stack[stack.length - 1].level === stack[stack.length - 2].level) {
          const right = stack.pop() as { level: number, hash: Uint8Array }
          const left = stack.pop() as { level: number, hash: Uint8Array }
          const level = left.level + 1
          const hash = nodeHash(left.hash, right.hash)
          await check(level, Math.floor(n / 2 ** level), hash)
          stack.push({ level, hash })
        }
        n++
      }
      if (n !== size) throw corruptAt(n, `entry ${n} is missing`)
    } finally {
      await entries.close()
      await Promise.all(cursors.filter(c => c != null).map(async c => { await c.close() }))
    }
    return stack.length === 0 ? EMPTY_ROOT : foldRight(stack.map(s => s.hash))
  }

  /**
   * Test hook: flips the first byte of a stored entry (an empty one gets a byte) without touching
   * any hash, as a disk fault or a hand edit would, so verifyAll and replicas can be shown to catch it.
   */
  async tamperForTests (index: number): Promise<void> {
    const e = await this.entry(index)
    const bad = e.length === 0 ? new Uint8Array([0]) : Uint8Array.from(e, (b, i) => (i === 0 ? b ^ 0xff : b))
    await this.db.put<string, Uint8Array>(entryKey(index), bad, VIEW)
  }

  /** The MTH of each range (each an RFC 6962 subtree of the tree), with one read for all of them. */
  private async rangeHashes (ranges: Array<[number, number]>, options: LogOptions): Promise<Uint8Array[]> {
    const covers = ranges.map(([lo, hi]) => cover(lo, hi))
    const hashes = await this.readNodes(covers.flat(), options)
    let at = 0
    return covers.map(c => {
      const part = hashes.slice(at, at + c.length)
      at += c.length
      return foldRight(part)
    })
  }

  private async readNodes (nodes: Node[], options: LogOptions): Promise<Uint8Array[]> {
    options.signal?.throwIfAborted()
    if (nodes.length === 0) return []
    const values = await this.db.getMany<string, Uint8Array>(nodes.map(n => hashKey(n.level, n.index)), VIEW)
    return values.map((v, i) => {
      if (v == null || v.length !== HASH_SIZE) throw new LogCorruptError(`hash h${nodes[i].level}/${nodes[i].index} is missing or malformed`)
      return v
    })
  }

  private checkSize (size: number, what: string): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.length) throw new LogRangeError(`${what} ${size} is outside 0..${this.length}`)
  }

  private checkIndex (index: number, size: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new LogRangeError(`index ${index} is outside 0..${size - 1} (tree size ${size})`)
  }
}

/** Reads the stored hashes of one level in index order, for verifyAll. */
class HashCursor {
  private readonly it
  private buffer: Array<[string, Uint8Array]> = []
  private at = 0

  constructor (db: LogDb, private readonly level: number) {
    this.it = db.iterator<string, Uint8Array>({ gte: hashKey(level, 0), lt: `h${pad(level + 1, 2)}`, ...VIEW })
  }

  /** The stored hash for `index` if it is the next one at this level, else undefined (missing). */
  async next (index: number): Promise<Uint8Array | undefined> {
    if (this.at >= this.buffer.length) {
      this.buffer = await this.it.nextv(1024)
      this.at = 0
    }
    const item = this.buffer[this.at]
    if (item == null || item[0] !== hashKey(this.level, index)) return undefined
    this.at++
    return item[1]
  }

  async close (): Promise<void> { await this.it.close() }
}
