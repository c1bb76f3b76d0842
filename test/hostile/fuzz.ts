// Shared by the hostile-input specs (hostile-codecs, hostile-protocols, hostile-gossip): the run
// bounds, the typed-error check, and byte-level generators: mutations of a valid encoding and
// length-prefixed framing.
//
// Bounded by default (thousands of frames, well under a minute). For a long run:
//   FUZZ_RUNS=100000 npx mocha --no-config --timeout 0 --exit 'dist/test/hostile-*.spec.js'
// FUZZ_RUNS is the number of frames sent to the live nodes (decoder properties scale with it);
// FUZZ_SEED replays a failing run (fast-check prints the seed and path).
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { errorClasses } from '../../src/errors/index.js'

export const FUZZ_RUNS = Math.max(100, Number(process.env.FUZZ_RUNS ?? 2000))
export const SEED = process.env.FUZZ_SEED != null ? Number(process.env.FUZZ_SEED) : undefined
export const fcOpts = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...(SEED != null ? { seed: SEED } : {}) })

/** An error our code may let out: one of the registered classes, never a bare TypeError/RangeError. */
export function assertTyped (err: unknown, where: string): void {
  assert.ok(err instanceof Error, `${where}: threw a non-Error ${String(err)}`)
  assert.ok(errorClasses[err.name] != null && err.name !== 'RemoteError', `${where}: untyped ${err.name}: ${err.message}`)
}

// ---- frame generators ----

/** Mutations of a valid encoding: flips, truncation, extension, splices, bogus varints. */
export function mutated (valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = valid.byteLength
  return fc.oneof(
    fc.array(fc.tuple(fc.nat(Math.max(0, n - 1)), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }).map(flips => {
      const b = new Uint8Array(valid)
      for (const [i, x] of flips) if (n > 0) b[i] ^= x
      return b
    }),
    fc.nat(Math.max(0, n - 1)).map(k => valid.slice(0, k)),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map(extra => concat(valid, extra)),
    fc.tuple(fc.nat(n), fc.uint8Array({ maxLength: 32 })).map(([i, junk]) => concat(concat(valid.slice(0, i), junk), valid.slice(i))),
    // a length-delimited field whose length is a huge (or overlong) varint
    fc.tuple(fc.integer({ min: 1, max: 15 }), fc.constantFrom(
      [0xff, 0xff, 0xff, 0xff, 0x0f], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]
    )).map(([field, varint]) => concat(Uint8Array.of((field << 3) | 2, ...varint), valid)),
    // the same field number with every wire type (wrong-typed values)
    fc.tuple(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 12 })).map(([field, wt, rest]) => concat(Uint8Array.of((field << 3) | wt), rest)),
    // deeply nested groups (recursion in skipType)
    fc.integer({ min: 100, max: 20_000 }).map(depth => new Uint8Array(depth).fill(0x0b))
  )
}

export function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a, 0)
  out.set(b, a.byteLength)
  return out
}

export function varint (n: number): Uint8Array {
  const out: number[] = []
  let x = n
  while (x >= 0x80) { out.push((x % 0x80) | 0x80); x = Math.floor(x / 0x80) }
  out.push(x)
  return Uint8Array.from(out)
}

export const lp = (b: Uint8Array): Uint8Array => concat(varint(b.byteLength), b)
