// An append-only log with an RFC 6962 Merkle tree, stored in a LevelDB sublevel the caller owns.
//
// Storage layout (utf8 keys inside the sublevel; values are raw bytes, written and read with
// per-operation encodings, so the sublevel's own default value encoding does not matter):
//   size                  -> tree size, ASCII decimal
//   e<index, 16 digits>   -> record of leaf `index`: [count: 1 byte][count × 32-byte hashes][entry bytes]
// The hashes in leaf i's record are those of the complete aligned subtrees that leaf i completes:
// level 0 (its leaf hash), then level L for each trailing 1 bit of i, where the level-L subtree
// j covers leaves [j·2^L, (j+1)·2^L) and is completed by leaf (j+1)·2^L - 1. So every complete
// aligned subtree hash is stored exactly once, next to the entry that finished it, and one append
// is one put per entry (plus the size): half the LevelDB work of a key per hash, which is what
// keeps appends fast. A record and the new size go in the same batch, so every stored size has all
// its hashes and a crash (kill -9) leaves either the old log or the new one.
//
// Cost: every RFC subtree a proof needs is either complete and aligned (one stored hash) or the
// right edge of the tree, which splits into at most log2(n) complete aligned subtrees. An audit
// path or a consistency proof crosses that incomplete right edge at most once, so root(size),
// inclusionProof and consistencyProof each read O(log n) records, in one getMany, never
// O(log² n). append reads nothing: the hashes of the current tree's complete subtrees (one per
// set bit of the size) are kept in memory.
//
// Measured on the 2-core dev machine, Node 24, with other test suites running (load ~2):
// 100k entries of 100 bytes in batches of 1000 append in ~1.0 s, verifyAll of them ~0.9 s;
// see the timing test in test/ledger-merkle.spec.ts.
import type { Level } from 'level'
import { leafHash, nodeHash, bytesEqual, splitPoint, EMPTY_ROOT, HASH_SIZE } from './hash.js'
import { LogCorruptError, LogRangeError } from '../../errors/index.js'
import { InvalidArgumentError } from '../../errors/index.js'

declare const parent: Level<string, string>
/** What MerkleLog is stored in: a sublevel of a `Level<string, string>` (any default value encoding). */
export type LogDb = ReturnType<typeof parent.sublevel<string, string>>

export interface LogOptions { signal?: AbortSignal }

const SIZE_KEY = 'size'
const recordKey = (index: number): string => `e${index.toString().padStart(16, '0')}`
const VIEW = { keyEncoding: 'utf8', valueEncoding: 'view' } as const
/** records, and bytes, per LevelDB iterator read when streaming ranges */
const RECORDS_PER_READ = 1000
const READ_BYTES = 1024 * 1024
const ascii = new TextEncoder()

/** A LogCorruptError with `index`: the first leaf whose entry or covering hash is bad. */
function corruptAt (index: number, message: string): Error & { index: number } {
  return Object.assign(new LogCorruptError(message), { index })
}

/** How many subtree hashes leaf `index` completes: its own, and one per trailing 1 bit of index. */
function completedBy (index: number): number {
  let n = 1
  for (let x = index + 1; x % 2 === 0; x /= 2) n++
  return n
}

function encodeRecord (hashes: Uint8Array[], entry: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + hashes.length * HASH_SIZE + entry.length)
  out[0] = hashes.length
  hashes.forEach((h, i) => { out.set(h, 1 + i * HASH_SIZE) })
  out.set(entry, 1 + hashes.length * HASH_SIZE)
  return out
}

/** The record of leaf `index`: its entry, and the hash of the level-L subtree it completed at `hash(L)`. */
function decodeRecord (index: number, value: Uint8Array): { hash: (level: number) => Uint8Array, entry: Uint8Array } {
  const count = completedBy(index)
  if (value.length < 1 + count * HASH_SIZE || value[0] !== count) throw corruptAt(index, `record of entry ${index} is malformed`)
  // plain Uint8Array views (LevelDB may hand back Buffers), so callers compare like with like
  const view = (from: number, to: number): Uint8Array => new Uint8Array(value.buffer, value.byteOffset + from, to - from)
  return {
    hash: level => view(1 + level * HASH_SIZE, 1 + (level + 1) * HASH_SIZE),
    entry: view(1 + count * HASH_SIZE, value.length)
  }
}

/** A complete aligned subtree: `level` and index at that level. */
interface Node { level: number, index: number }

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
  // a copy even for one subtree: the caller must not be able to alter the in-memory frontier
  let r: Uint8Array = hashes[hashes.length - 1].slice()
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
    // the records holding the stored size's frontier; the last one is entry size - 1
    const frontier = await readNodes(db, cover(0, size), options)
    return new MerkleLog(db, size, frontier)
  }

  get size (): number { return this.length }

  /**
   * Appends entries in ONE LevelDB batch (their records, with the subtree hashes they complete,
   * and the new size). Calls are serialized: each starts from the tree the previous one left.
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
      const hashes = [leafHash(entry)]
      stack.push({ level: 0, hash: hashes[0] })
      // two complete subtrees of one level side by side make one of the next level
      while (stack.length >= 2 && stack[stack.length - 1].level === stack[stack.length - 2].level) {
        const right = stack.pop() as { level: number, hash: Uint8Array }
        const left = stack.pop() as { level: number, hash: Uint8Array }
        const hash = nodeHash(left.hash, right.hash)
        hashes.push(hash)
        stack.push({ level: left.level + 1, hash })
      }
      ops.push({ type: 'put', key: recordKey(n), value: encodeRecord(hashes, entry) })
      n++
    }
    ops.push({ type: 'put', key: SIZE_KEY, value: ascii.encode(String(n)) })
    options.signal?.throwIfAborted()
    await this.db.batch<string, Uint8Array>(ops, VIEW)
    this.length = n
    this.frontier = stack.map(s => s.hash)
    return { firstIndex, size: n, root: foldRight(this.frontier) }
  }

  /**
   * Drops the entries from `size` on (one batch, serialized with appends). A record holds only the
   * subtree hashes its own entry completes, so the records below `size` are the log of that size.
   * For a replica's unverified tail that came from a peer other than the log's owner.
   */
  async truncate (size: number, options: LogOptions = {}): Promise<void> {
    const run = this.tail.then(async () => {
      this.checkSize(size, 'size')
      options.signal?.throwIfAborted()
      if (size === this.length) return
      const ops: Array<{ type: 'put', key: string, value: Uint8Array } | { type: 'del', key: string }> = []
      for (let n = size; n < this.length; n++) ops.push({ type: 'del', key: recordKey(n) })
      ops.push({ type: 'put', key: SIZE_KEY, value: ascii.encode(String(size)) })
      const frontier = await readNodes(this.db, cover(0, size), options)
      await this.db.batch<string, Uint8Array>(ops, VIEW)
      this.length = size
      this.frontier = frontier
    })
    this.tail = run.catch(() => {})
    await run
  }

  /** MTH of the first `size` entries (default: all). */
  async root (size: number = this.length, options: LogOptions = {}): Promise<Uint8Array> {
    this.checkSize(size, 'size')
    if (size === 0) return EMPTY_ROOT.slice()
    if (size === this.length) return foldRight(this.frontier)
    const [hash] = await this.rangeHashes([[0, size]], options)
    return hash
  }

  async entry (index: number, options: LogOptions = {}): Promise<Uint8Array> {
    this.checkIndex(index, this.length)
    options.signal?.throwIfAborted()
    const v = await this.db.get<string, Uint8Array>(recordKey(index), VIEW)
    if (v == null) throw corruptAt(index, `entry ${index} is missing`)
    return decodeRecord(index, v).entry
  }

  /** Entries [from, to) in order. */
  async * entries (from: number, to: number, options: LogOptions = {}): AsyncGenerator<{ index: number, entry: Uint8Array }> {
    for await (const { index, entries } of this.entryBatches(from, to, options)) {
      for (let i = 0; i < entries.length; i++) yield { index: index + i, entry: entries[i] }
    }
  }

  /**
   * Entries [from, to) in order, in consecutive runs (one LevelDB read each): what a reader that
   * handles many entries at a time (sync frames, replay) uses, without an await per entry.
   */
  async * entryBatches (from: number, to: number, options: LogOptions = {}): AsyncGenerator<{ index: number, entries: Uint8Array[] }> {
    this.checkSize(to, 'end')
    if (!Number.isSafeInteger(from) || from < 0 || from > to) throw new LogRangeError(`entries ${from}..${to}: start must be in 0..${to}`)
    for await (const chunk of this.records(from, to, options)) {
      yield { index: chunk[0].index, entries: chunk.map(r => r.record.entry) }
    }
  }

  async leafHashAt (index: number, options: LogOptions = {}): Promise<Uint8Array> {
    this.checkIndex(index, this.length)
    const [h] = await readNodes(this.db, [{ level: 0, index }], options)
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
    const stack: Array<{ level: number, hash: Uint8Array }> = []
    for await (const chunk of this.records(0, this.length, options)) {
      for (const { index, record } of chunk) {
        const h = leafHash(record.entry)
        if (!bytesEqual(h, record.hash(0))) throw corruptAt(index, `entry ${index} does not match its stored leaf hash`)
        stack.push({ level: 0, hash: h })
        while (stack.length >= 2 && stack[stack.length - 1].level === stack[stack.length - 2].level) {
          const right = stack.pop() as { level: number, hash: Uint8Array }
          const left = stack.pop() as { level: number, hash: Uint8Array }
          const level = left.level + 1
          const hash = nodeHash(left.hash, right.hash)
          if (!bytesEqual(hash, record.hash(level))) {
            const first = index + 1 - 2 ** level
            throw corruptAt(first, `the stored hash of leaves ${first}..${index} (level ${level}) does not match the entries`)
          }
          stack.push({ level, hash })
        }
      }
    }
    return stack.length === 0 ? EMPTY_ROOT.slice() : foldRight(stack.map(s => s.hash))
  }

  /**
   * Test hook: flips the first byte of a stored entry (an empty one gets a byte) without touching
   * any hash, as a disk fault or a hand edit would; a second call on an entry of 1+ bytes undoes it.
   */
  async tamperForTests (index: number): Promise<void> {
    const e = await this.entry(index)
    const bad = e.length === 0 ? new Uint8Array([0]) : Uint8Array.from(e, (b, i) => (i === 0 ? b ^ 0xff : b))
    const v = await this.db.get<string, Uint8Array>(recordKey(index), VIEW) as Uint8Array
    await this.db.put<string, Uint8Array>(recordKey(index), encodeRecord(
      Array.from({ length: completedBy(index) }, (_, l) => decodeRecord(index, v).hash(l)), bad), VIEW)
  }

  /**
   * Records [from, to) in order, in chunks (one LevelDB round trip each), checked present and well
   * formed. The next chunk is read while the caller handles this one.
   */
  private async * records (from: number, to: number, options: LogOptions): AsyncGenerator<Array<{ index: number, record: ReturnType<typeof decodeRecord> }>> {
    // classic-level ends a read at 16 KiB unless told otherwise (~36 records of a few hundred bytes:
    // a thread-pool round trip each); highWaterMarkBytes is its option, passed through by sublevels
    const range = { gte: recordKey(from), lt: recordKey(to), ...VIEW, highWaterMarkBytes: READ_BYTES }
    const it = this.db.iterator<string, Uint8Array>(range)
    let reading: Promise<Array<[string, Uint8Array]>> | undefined
    try {
      let next = from
      // a failed read is thrown where it is awaited; until then it must not count as unhandled
      const read = (): Promise<Array<[string, Uint8Array]>> => {
        const p = it.nextv(RECORDS_PER_READ)
        p.catch(() => {})
        return p
      }
      if (from < to) reading = read()
      while (reading != null) {
        options.signal?.throwIfAborted()
        const chunk = await reading
        reading = undefined
        if (chunk.length === 0) break
        const records = chunk.map(([key, value]) => {
          if (key !== recordKey(next)) throw corruptAt(next, `entry ${next} is missing`)
          return { index: next, record: decodeRecord(next++, value) }
        })
        if (next < to) reading = read()
        yield records
      }
      if (next !== to) throw corruptAt(next, `entry ${next} is missing`)
    } finally {
      // a read still running when the caller stops early ends before the iterator closes
      await reading?.then(() => {}, () => {})
      await it.close()
    }
  }

  /** The MTH of each range (each an RFC 6962 subtree of the tree), with one read for all of them. */
  private async rangeHashes (ranges: Array<[number, number]>, options: LogOptions): Promise<Uint8Array[]> {
    const covers = ranges.map(([lo, hi]) => cover(lo, hi))
    const hashes = await readNodes(this.db, covers.flat(), options)
    let at = 0
    return covers.map(c => {
      const part = hashes.slice(at, at + c.length)
      at += c.length
      return foldRight(part)
    })
  }

  private checkSize (size: number, what: string): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.length) throw new LogRangeError(`${what} ${size} is outside 0..${this.length}`)
  }

  private checkIndex (index: number, size: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new LogRangeError(`index ${index} is outside 0..${size - 1} (tree size ${size})`)
  }
}

/** The stored hashes of complete aligned subtrees, from the records of the leaves that completed them. */
async function readNodes (db: LogDb, nodes: Node[], options: LogOptions): Promise<Uint8Array[]> {
  options.signal?.throwIfAborted()
  if (nodes.length === 0) return []
  const leaves = nodes.map(n => (n.index + 1) * 2 ** n.level - 1)
  const values = await db.getMany<string, Uint8Array>(leaves.map(recordKey), VIEW)
  return values.map((v, i) => {
    if (v == null) throw corruptAt(leaves[i], `entry ${leaves[i]} is missing`)
    return decodeRecord(leaves[i], v).hash(nodes[i].level)
  })
}
