// Hostile input, decoders: every protobuf message codec in src/wire/pb (checked against the
// messages protocols/*.proto declare) meets random and mutated bytes; verifyEnvelope,
// verifyJobSpec and the signed-note and checkpoint parsers let only typed errors out.
// Bounds and replay (FUZZ_RUNS, FUZZ_SEED): test/hostile/fuzz.ts.
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { MESH } from './helpers.js'
import { createSigner, verifyEnvelope, type Signer } from '../src/wire/signed.js'
import { Domains } from '../src/wire/domains.js'
import { SignedEnvelope } from '../src/wire/pb/envelope.js'
import { ClaimRequest, JobSpec } from '../src/wire/pb/jobs.js'
import { verifyJobSpec } from '../src/jobs/job-spec.js'
import { formatCheckpoint, openNote, parseCheckpoint, parseVerifierKey, signNote, noteVerifierKey } from '../src/ledger/merkle/checkpoint.js'
import { logOrigin } from '../src/ledger/coordinator-ledger.js'
import { FUZZ_RUNS, assertTyped, fcOpts, mutated } from './hostile/fuzz.js'

const PB_DIR = new URL('../src/wire/pb/', import.meta.url)
const PROTO_DIR = new URL('../../protocols/', import.meta.url)

interface Codec { encode: (o: never) => Uint8Array, decode: (b: Uint8Array) => unknown }

/** Every message codec the generated modules in src/wire/pb export (nested namespaces too), by file and message name. */
async function wireCodecs (): Promise<Array<{ file: string, name: string, codec: Codec }>> {
  const out: Array<{ file: string, name: string, codec: Codec }> = []
  const walk = (file: string, ns: Record<string, unknown>): void => {
    for (const [name, v] of Object.entries(ns)) {
      if ((typeof v !== 'object' && typeof v !== 'function') || v == null) continue
      const c = v as Partial<Codec>
      if (typeof c.encode === 'function' && typeof c.decode === 'function') out.push({ file, name, codec: c as Codec })
      if (typeof v === 'object') walk(file, v as Record<string, unknown>)
    }
  }
  for (const file of (await readdir(PB_DIR)).filter(f => f.endsWith('.js'))) walk(file, await import(new URL(file, PB_DIR).href) as Record<string, unknown>)
  return out
}

/** The message names protocols/*.proto declare. */
async function protoMessages (): Promise<Set<string>> {
  const names = new Set<string>()
  for (const f of (await readdir(PROTO_DIR)).filter(f => f.endsWith('.proto'))) {
    const text = (await readFile(new URL(f, PROTO_DIR), 'utf8')).replace(/\/\/.*$/gm, '')
    for (const m of text.matchAll(/^\s*message\s+(\w+)\s*\{/gm)) names.add(m[1])
  }
  return names
}

/**
 * How protons' reader fails on bytes that are not a message: RangeError (a length or varint past the
 * end) or a plain Error (a wire type or enum value that does not exist). Every wire boundary turns
 * these into MalformedMessageError; anything else (a TypeError, a non-Error) is a decoder bug that
 * would surface as an untyped error, or worse.
 */
const DECODE_FAILURES = new Set(['RangeError', 'Error'])

function assertDecodeFailure (err: unknown, where: string): void {
  assert.ok(err instanceof Error, `${where}: threw a non-Error ${String(err)}`)
  assert.ok(DECODE_FAILURES.has(err.name) && (err.constructor === Error || err.constructor === RangeError), `${where}: ${err.name} (${err.constructor.name}): ${err.message}`)
}

describe('hostile input: decoders', function () {
  this.timeout(120_000)
  const runs = Math.max(200, Math.floor(FUZZ_RUNS / 3))
  let signer: Signer
  let signerKey: PrivateKey

  before(async () => {
    signerKey = await generateKeyPair('Ed25519')
    signer = createSigner(signerKey, MESH)
  })

  it('every protobuf message type in src/wire/pb decodes random and mutated bytes or fails with the reader\'s own errors; what decodes re-encodes', async () => {
    const codecs = await wireCodecs()
    // nothing missed: every message the .proto files declare has a codec here, and no codec is unaccounted for
    const declared = await protoMessages()
    assert.deepEqual([...new Set(codecs.map(c => c.name))].sort(), [...declared].sort())
    assert.deepEqual([...new Set(codecs.map(c => c.file))].sort(), (await readdir(PB_DIR)).filter(f => f.endsWith('.js')).sort(), 'every generated module contributes codecs')
    const failures: Record<string, number> = {}
    for (const { file, name, codec } of codecs) {
      const valid = codec.encode({} as never)
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), mutated(valid)), b => {
        let decoded: unknown
        try {
          decoded = codec.decode(b)
        } catch (err) {
          assertDecodeFailure(err, `${file} ${name}`)
          failures[(err as Error).name] = (failures[(err as Error).name] ?? 0) + 1
          return
        }
        // a decoded message is a message: it encodes again (a decoder leaving a field broken would not)
        assert.ok(decoded != null && typeof decoded === 'object', `${file} ${name}: decoded to ${String(decoded)}`)
        codec.encode(decoded as never)
      }), fcOpts(Math.max(50, Math.floor(runs / 10))))
    }
    // the property saw both kinds of failure the reader has
    assert.deepEqual(Object.keys(failures).sort(), [...DECODE_FAILURES].sort(), JSON.stringify(failures))
  })

  it('verifyEnvelope lets only typed errors out, for random, mutated and wrong envelopes', async () => {
    const good = await signer.sign(Domains.claim, ClaimRequest.encode({ jobId: 'x', executors: ['noop'], freeSlots: 1, claimNonce: new Uint8Array(16) }), 30_000)
    const goodBytes = SignedEnvelope.encode(good)
    let ok = 0
    await fc.assert(fc.asyncProperty(fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map(b => ({ payload: b, signature: new Uint8Array(64) })),
      mutated(good.payload).map(p => ({ payload: p, signature: good.signature })),
      mutated(goodBytes).map(b => { try { return SignedEnvelope.decode(b) } catch { return { payload: new Uint8Array(0), signature: new Uint8Array(0) } } })
    ), async env => {
      try {
        await verifyEnvelope(env as SignedEnvelope, { domain: Domains.claim, meshId: MESH })
        ok++
      } catch (err) { assertTyped(err, 'verifyEnvelope') }
    }), fcOpts(runs))
    // the mutations are not vacuous: the original verifies, and almost nothing else does
    await verifyEnvelope(good, { domain: Domains.claim, meshId: MESH })
    assert.ok(ok < runs / 10, `${ok} mutated envelopes verified`)
  })

  it('verifyJobSpec lets only typed errors out for valid envelopes around garbage and mutated specs', async () => {
    const spec = JobSpec.encode({ executor: 'noop', input: new Uint8Array(4), args: [], module: new Uint8Array(0), timeoutMs: 1000, maxAttempts: 1, offeredPrice: 0n, delayMs: 0, label: '', coordinator: '' })
    await fc.assert(fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated(spec)), async body => {
      const env = await signer.sign(Domains.jobSpec, body, 60_000)
      try { await verifyJobSpec(env, MESH) } catch (err) { assertTyped(err, 'verifyJobSpec') }
    }), fcOpts(Math.floor(runs / 2)))
  })

  it('signed notes and checkpoints: only typed errors for random, mutated and truncated notes', async () => {
    const key = await generateKeyPair('Ed25519')
    const origin = logOrigin(MESH, peerIdFromPrivateKey(key).toString())
    const vkey = noteVerifierKey(origin, key.publicKey.raw)
    const note = await signNote(formatCheckpoint({ origin, size: 42, rootHash: new Uint8Array(32).fill(9) }), origin, key)
    assert.equal(parseCheckpoint(openNote(note, [vkey]).text).size, 42)
    const enc = new TextEncoder()
    const dec = new TextDecoder()
    fc.assert(fc.property(fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      mutated(enc.encode(note)).map(b => dec.decode(b)),
      fc.nat(note.length).map(n => note.slice(0, n)),
      fc.tuple(fc.nat(note.length), fc.string({ maxLength: 20 })).map(([i, s]) => note.slice(0, i) + s + note.slice(i))
    ), text => {
      for (const [what, f] of [
        ['openNote', () => openNote(text, [vkey])],
        ['parseCheckpoint', () => parseCheckpoint(text)],
        ['parseVerifierKey', () => parseVerifierKey(text)],
        ['openNote with the text as a key', () => openNote(note, [text])]
      ] as Array<[string, () => unknown]>) {
        try { f() } catch (err) { assertTyped(err, what) }
      }
    }), fcOpts(Math.floor(runs / 3)))
  })
})
