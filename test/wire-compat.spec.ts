// Wire compatibility: a message may only gain fields; an enum older nodes decode never changes
// (protons codecs throw 'Invalid enum value' on a value they do not know, so an older node would
// reject the whole message and penalise the honest relay that gossiped it).
//
// Against every released wire schema under test/fixtures/wire-v<version>/ (the .proto files and the
// protons codecs generated from them, never edited; see its README.md) this checks:
//   - the .proto files: no field removed (reserving it is fine), renumbered, retyped, relabelled or
//     renamed; no enum gained, lost or renumbered a value; no message or enum removed;
//   - every message whose definition changed has a sample in test/wire-compat/samples.ts (else it
//     fails "add a sample for <Message>"); each sample is checked to set every field, encoded with
//     the current codec (src/wire/pb) and decoded with the released one: every old field equal;
//   - for every message in both: an empty instance, and random instances of the current schema,
//     decode with the released codec and keep every old field.
//
// WIRE_COMPAT_PROTO_DIR=<dir> compares <dir>/*.proto instead of protocols/ as the current schema
// (a copy with a deliberate break, to watch this fail). The codecs are still src/wire/pb, and the
// check that src/wire/pb matches the .proto files always reads protocols/.
// WIRE_COMPAT_RUNS sets the random instances per message (default 100); WIRE_COMPAT_SEED replays a
// failing random run (fast-check prints the seed).
//   node_modules/.bin/mocha --no-config --timeout 60000 --exit dist/test/wire-compat.spec.js
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { jsName, parseProtoDir, type Schema } from './wire-compat/proto-parser.js'
import { diffSchemas } from './wire-compat/schema-diff.js'
import { codecFor, loadCodecs, type CodecModules } from './wire-compat/codecs.js'
import { assertOldFieldsEqual, assertPopulated, fieldDefault, isObj, type Obj } from './wire-compat/values.js'
import { message as arbitraryMessage } from './wire-compat/arbitrary.js'
import { SAMPLES } from './wire-compat/samples.js'

// compiled to dist/test/: the repo root is two levels up; .proto files are read from the sources
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const FIXTURES = join(ROOT, 'test', 'fixtures')
const PROTO_DIR = resolve(process.env.WIRE_COMPAT_PROTO_DIR ?? join(ROOT, 'protocols'))
const RUNS = Number(process.env.WIRE_COMPAT_RUNS ?? 100)
const SEED = process.env.WIRE_COMPAT_SEED != null ? Number(process.env.WIRE_COMPAT_SEED) : undefined

const versionOf = (dir: string): number[] => dir.slice('wire-v'.length).split('.').map(Number)
const RELEASES = (existsSync(FIXTURES) ? readdirSync(FIXTURES) : []).filter(d => /^wire-v\d+\.\d+\.\d+$/.test(d))
  .sort((a, b) => versionOf(a).reduce((c, x, i) => c !== 0 ? c : x - (versionOf(b)[i] ?? 0), 0))

const current = parseProtoDir(PROTO_DIR)
const currentCodecs = await loadCodecs(new URL('../src/wire/pb/', import.meta.url), current)
const released = await Promise.all(RELEASES.map(async dir => {
  const schema = parseProtoDir(join(FIXTURES, dir))
  return { dir, schema, codecs: await loadCodecs(new URL(`./fixtures/${dir}/pb/`, import.meta.url), schema) }
}))

function list (items: string[]): string {
  return items.map(s => `\n  - ${s}`).join('')
}

/** Encodes `value` as `name` with the current codec, decodes it with the released one, compares. */
function crossDecode (old: Schema, oldCodecs: CodecModules, dir: string, name: string, value: Obj): void {
  const why = (err: unknown): string => err instanceof Error ? err.message : String(err)
  let bytes: Uint8Array
  try {
    bytes = codecFor(currentCodecs, current, name, 'src/wire/pb').encode(value)
  } catch (err) {
    assert.fail(`the current codec (src/wire/pb) could not encode ${name} as ${PROTO_DIR} defines it: ${why(err)}`)
  }
  let got: Obj
  try {
    got = codecFor(oldCodecs, old, name, dir).decode(bytes)
  } catch (err) {
    assert.fail(`the ${dir} codec could not decode ${name} encoded by the current one: ${why(err)}`)
  }
  assertOldFieldsEqual(old, name, value, got)
}

describe('wire compatibility with released schemas', () => {
  it('has at least one released fixture', () => {
    assert.ok(RELEASES.length > 0, `no test/fixtures/wire-v*/ folder under ${FIXTURES}`)
  })

  it('src/wire/pb has a codec matching every message of protocols/', () => {
    const repo = parseProtoDir(join(ROOT, 'protocols'))
    const stale: string[] = []
    for (const [name, def] of repo.messages) {
      let empty: Obj
      try {
        empty = codecFor(currentCodecs, repo, name, 'src/wire/pb').decode(new Uint8Array(0))
      } catch (err) {
        stale.push(err instanceof Error ? err.message : String(err))
        continue
      }
      // a decoded empty message holds exactly its non-message, non-optional fields, at their defaults
      const want = def.fields.filter(f => fieldDefault(repo, f) !== undefined).map(f => jsName(f.name)).sort()
      const got = Object.keys(empty).sort()
      if (want.join() !== got.join()) stale.push(`${name}: src/wire/pb has fields [${got.join(', ')}], protocols/ says [${want.join(', ')}]`)
    }
    if (stale.length > 0) assert.fail(`src/wire/pb does not match protocols/ (run npm run generate):${list(stale)}`)
  })

  it('every sample names a message of the current schema and sets every field', () => {
    for (const [name, build] of Object.entries(SAMPLES)) {
      assert.ok(current.messages.has(name), `the sample ${name} names no message in ${PROTO_DIR}`)
      assertPopulated(current, name, build())
    }
  })

  for (const { dir, schema: old, codecs: oldCodecs } of released) {
    describe(`against ${dir}`, () => {
      const diff = diffSchemas(old, current)

      it('no released field or enum value was removed, renumbered, retyped, relabelled or renamed; no enum gained a value', () => {
        if (diff.breaks.length > 0) {
          assert.fail(`${diff.breaks.length} breaking change(s) in ${PROTO_DIR} against ${dir}:${list(diff.breaks)}`)
        }
      })

      it('every message changed since the release has a sample', () => {
        const missing = diff.changedMessages.filter(name => SAMPLES[name] == null)
        if (missing.length > 0) {
          assert.fail(`changed since ${dir}:${list(missing.map(m => `add a sample for ${m} (test/wire-compat/samples.ts)`))}`)
        }
      })

      describe('samples (current codec) decode with the released codec, every old field equal', () => {
        for (const name of Object.keys(SAMPLES).filter(n => old.messages.has(n))) {
          it(name, () => {
            const sample = SAMPLES[name]?.()
            assert.ok(isObj(sample), `the sample ${name} did not build an object`)
            crossDecode(old, oldCodecs, dir, name, sample)
          })
        }
      })

      describe('every message in both: empty and random instances decode with the released codec', () => {
        for (const name of [...old.messages.keys()].filter(n => current.messages.has(n)).sort()) {
          it(name, () => {
            crossDecode(old, oldCodecs, dir, name, {})
            fc.assert(fc.property(arbitraryMessage(current, name), value => { crossDecode(old, oldCodecs, dir, name, value) }),
              { numRuns: RUNS, ...(SEED != null ? { seed: SEED } : {}) })
          })
        }
      })
    })
  }
})

// The comparison on small schemas, so each rule is seen to hold and to fire.
describe('wire compatibility: the schema comparison itself', () => {
  const BASE = `syntax = "proto3";
    /* a block comment */ message Outer {
      enum Kind { A = 0; B = 1; }
      message Inner { repeated string tags = 1 [packed = false]; }
      Kind kind = 1;           // resolves to Outer.Kind
      Inner inner = 2;
      map<string, Inner> byName = 3;
      oneof choice { string text = 4; bytes raw = 5; }
      optional uint64 count = 6;
      reserved 9, 12 to 14;
      reserved "old_name";
    }`
  function schemaOf (src: string): Schema {
    const dir = mkdtempSync(join(tmpdir(), 'wire-compat-'))
    try {
      writeFileSync(join(dir, 'x.proto'), src)
      return parseProtoDir(dir)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  const breaksAfter = (from: string, to: string): string[] => diffSchemas(schemaOf(BASE), schemaOf(BASE.replaceAll(from, to))).breaks

  it('parses nested types, labels, maps, oneofs and reserved ranges', () => {
    const s = schemaOf(BASE)
    const outer = s.messages.get('Outer')
    assert.deepEqual(outer?.fields.map(f => `${f.number} ${f.label} ${f.keyType ?? ''}${f.type} ${f.oneof ?? ''}`), [
      '1 singular Outer.Kind ', '2 singular Outer.Inner ', '3 map stringOuter.Inner ', '4 singular string choice',
      '5 singular bytes choice', '6 optional uint64 '])
    assert.deepEqual(outer?.reservedNumbers, [[9, 9], [12, 14]])
    assert.deepEqual([...(s.enums.get('Outer.Kind')?.values ?? [])], [['A', 0], ['B', 1]])
    assert.equal(s.messages.get('Outer.Inner')?.fields[0]?.label, 'repeated')
  })

  it('allows new fields, messages and enums, and a removed field whose number is reserved', () => {
    assert.deepEqual(breaksAfter('optional uint64 count = 6;', 'optional uint64 count = 6; int32 extra = 7; message New { enum E { Z = 0; } }'), [])
    assert.deepEqual(breaksAfter('optional uint64 count = 6;', 'reserved 6;'), [])
    assert.deepEqual(diffSchemas(schemaOf(BASE), schemaOf(BASE.replace('uint64 count = 6;', 'uint64 count = 6; int32 extra = 7;'))).changedMessages, ['Outer'])
  })

  it('names the message and field or value of every break', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['optional uint64 count = 6;', '', /^Outer\.count \(field 6\) was removed without reserving/],
      ['optional uint64 count = 6;', 'uint64 count = 6;', /^Outer\.count \(field 6\) changed from optional uint64 to singular uint64/],
      ['Inner inner = 2;', 'repeated Inner inner = 2;', /^Outer\.inner \(field 2\) changed from singular Outer\.Inner to repeated/],
      ['Inner inner = 2;', 'Inner nested = 2;', /^Outer\.inner \(field 2\) was renamed to nested/],
      ['map<string, Inner> byName = 3;', 'map<int32, Inner> byName = 3;', /^Outer\.byName \(field 3\) changed from map<string, Outer\.Inner> to map<int32/],
      ['bytes raw = 5; }', '} bytes raw = 5;', /^Outer\.raw \(field 5\) moved from oneof 'choice' to '-'/],
      ['reserved 9, 12 to 14;', 'string again = 13;', /^Outer\.again \(field 13\) reuses a number the released schema reserved/],
      ['reserved "old_name";', 'string old_name = 20;', /^Outer\.old_name \(field 20\) reuses a name/],
      ['B = 1; }', 'B = 1; C = 2; }', /^enum Outer\.Kind gained value C = 2/],
      ['B = 1; }', 'B = 2; }', /^enum Outer\.Kind value B changed number from 1 to 2/],
      ['A = 0; B = 1; }', 'A = 0; }', /^enum Outer\.Kind lost value B = 1/],
      ['Inner', 'Renamed', /^message Outer\.Inner was removed/]
    ]
    for (const [from, to, want] of cases) {
      const breaks = breaksAfter(from, to)
      if (!breaks.some(b => want.test(b))) assert.fail(`'${from}' -> '${to}' should report ${String(want)}; reported:${list(breaks)}`)
    }
  })

  it('refuses input it does not understand rather than skipping it', () => {
    assert.throws(() => schemaOf('syntax = "proto2"; message M {}'), /only proto3/)
    assert.throws(() => schemaOf('syntax = "proto3"; message M { Missing m = 1; }'), /unknown type 'Missing'/)
    assert.throws(() => schemaOf('syntax = "proto3"; message M { extensions 100 to 200; }'), /not proto3/)
    assert.throws(() => schemaOf('syntax = "proto3"; message M { int32 a = 1; int32 b = 1; }'), /used twice/)
  })
})
