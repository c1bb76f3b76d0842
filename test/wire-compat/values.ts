// Schema-driven checks on decoded protons objects: that a sample sets every field (so each one
// reaches the old decoder), and that every field an old schema knows round-trips equal.
import { AssertionError } from 'node:assert'
import { SCALARS, jsName, type FieldDef, type Schema } from './proto-parser.js'

/** A protons message object, seen without its generated type. */
export type Obj = Record<string, unknown>

function fail (message: string): never {
  throw new AssertionError({ message })
}

export function isObj (v: unknown): v is Obj {
  return typeof v === 'object' && v != null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map)
}

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'])

/** The JS value protons gives an element of this type when it is absent (messages: undefined). */
function elementDefault (schema: Schema, f: FieldDef): unknown {
  if (schema.enums.has(f.type)) return [...(schema.enums.get(f.type)?.values.keys() ?? [])][0]
  if (!SCALARS.has(f.type)) return undefined
  if (INT64.has(f.type)) return f.options.jstype === 'JS_NUMBER' ? 0 : f.options.jstype === 'JS_STRING' ? '' : 0n
  switch (f.type) {
    case 'string': return ''
    case 'bytes': return new Uint8Array(0)
    case 'bool': return false
    default: return 0
  }
}

/** The value an absent field decodes to. */
export function fieldDefault (schema: Schema, f: FieldDef): unknown {
  if (f.label === 'repeated') return []
  if (f.label === 'map') return new Map()
  if (f.label === 'optional' || f.oneof != null) return undefined
  return elementDefault(schema, f)
}

function scalarEqual (a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b))
  // Object.is for NaN; === for -0, which protons sends as absent and decodes as 0
  return Object.is(a, b) || (typeof a === 'number' && a === b)
}

function isUnset (schema: Schema, f: FieldDef, v: unknown): boolean {
  if (v == null) return true
  if (f.label === 'optional') return false
  if (v instanceof Uint8Array) return v.byteLength === 0
  return scalarEqual(v, elementDefault(schema, f))
}

/** Every field of `msg` set to a non-default value (repeated and map: non-empty), recursively. */
export function assertPopulated (schema: Schema, msg: string, value: unknown, path = msg): void {
  const def = schema.messages.get(msg)
  if (def == null) fail(`${path}: ${msg} is not a message in the current .proto files`)
  if (!isObj(value)) fail(`${path}: expected a ${msg} object`)
  for (const key of Object.keys(value)) {
    if (!def.fields.some(f => jsName(f.name) === key)) fail(`${path}.${key} is not a field of ${msg} in the current .proto files (stale src/wire/pb? run npm run generate)`)
  }
  const oneofs = new Map<string, boolean>()
  for (const f of def.fields) {
    const at = `${path}.${jsName(f.name)}`
    const v = value[jsName(f.name)]
    const unset = f.label === 'repeated' ? !Array.isArray(v) || v.length === 0
      : f.label === 'map' ? !(v instanceof Map) || v.size === 0
        : isUnset(schema, f, v)
    if (f.oneof != null) oneofs.set(f.oneof, (oneofs.get(f.oneof) ?? false) || !unset)
    else if (unset) fail(`${at} (${msg} field ${f.number}) is unset or default: set every field so each one reaches the old decoder`)
    if (unset || schema.messages.get(f.type) == null) continue
    const many = Array.isArray(v) || v instanceof Map
    const elements: unknown[] = Array.isArray(v) ? v : v instanceof Map ? [...v.values()] : [v]
    elements.forEach((e, i) => { assertPopulated(schema, f.type, e, many ? `${at}[${i}]` : at) })
  }
  for (const [name, set] of oneofs) if (!set) fail(`${path}: set one field of oneof ${msg}.${name}`)
}

function elementEqual (schema: Schema, f: FieldDef, sent: unknown, got: unknown, at: string): void {
  if (schema.messages.has(f.type)) {
    if (sent == null && got == null) return
    if (sent == null || got == null) fail(`${at}: sent ${sent == null ? 'nothing' : 'a message'}, the old decoder got ${got == null ? 'nothing' : 'a message'}`)
    assertOldFieldsEqual(schema, f.type, sent, got, at)
    return
  }
  if (!scalarEqual(sent, got)) fail(`${at}: sent ${String(sent)}, the old decoder got ${String(got)}`)
}

/** Every field the old schema knows of `msg` reads back in `got` (old decode) as it was in `sent`. */
export function assertOldFieldsEqual (old: Schema, msg: string, sent: unknown, got: unknown, path = msg): void {
  const def = old.messages.get(msg)
  if (def == null) fail(`${path}: ${msg} is not in the released schema`)
  if (!isObj(sent) || !isObj(got)) fail(`${path}: expected ${msg} objects`)
  for (const f of def.fields) {
    const key = jsName(f.name)
    const at = `${path}.${key}`
    const s = sent[key] ?? fieldDefault(old, f)
    const g = got[key]
    if (f.label === 'repeated') {
      if (!Array.isArray(s) || !Array.isArray(g) || s.length !== g.length) fail(`${at}: sent ${Array.isArray(s) ? s.length : '?'} elements, the old decoder got ${Array.isArray(g) ? g.length : '?'}`)
      s.forEach((e, i) => { elementEqual(old, f, e, g[i], `${at}[${i}]`) })
    } else if (f.label === 'map') {
      if (!(s instanceof Map) || !(g instanceof Map) || s.size !== g.size) fail(`${at}: map sizes differ`)
      for (const [k, e] of s) elementEqual(old, f, e, g.get(k), `${at}[${String(k)}]`)
    } else {
      elementEqual(old, f, s, g, at)
    }
  }
}
