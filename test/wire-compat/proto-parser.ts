// A small parser for the protobuf subset a wire contract needs to be compared across releases:
// messages, fields (number, type, label), enums and their values, nested definitions, oneofs, maps
// and reserved ranges. Options are read only where they change what a field is on the wire (jstype,
// packed); services are skipped. Anything else it does not know is an error, never silently
// ignored, so the comparison cannot pass on a file it did not understand.
import { readFileSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'

export type Label = 'singular' | 'optional' | 'required' | 'repeated' | 'map'

export interface FieldDef {
  name: string
  number: number
  label: Label
  /** a scalar name, or the resolved full name of a message or enum (after resolveSchema) */
  type: string
  /** map fields: the key type (always a scalar) */
  keyType?: string
  /** the oneof this field belongs to, if any */
  oneof?: string
  /** options that change the JS or wire shape: jstype, packed */
  options: Record<string, string>
}

export interface MessageDef {
  fullName: string
  file: string
  fields: FieldDef[]
  reservedNumbers: Array<[number, number]>
  reservedNames: string[]
}

export interface EnumDef {
  fullName: string
  file: string
  values: Map<string, number>
}

export interface Schema {
  messages: Map<string, MessageDef>
  enums: Map<string, EnumDef>
}

export const SCALARS = new Set(['double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes'])

const MAX_FIELD = 536870911

interface Token { text: string, line: number }

function tokenize (src: string, file: string): Token[] {
  const out: Token[] = []
  const re = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[A-Za-z_.][\w.]*|-?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)|[{}[\]()<>=;,:]|./gy
  let m: RegExpExecArray | null
  let line = 1
  while ((m = re.exec(src)) != null) {
    const text = m[0]
    if (!/^\s/.test(text) && !text.startsWith('//') && !text.startsWith('/*')) {
      if (text.length === 1 && !/[\w{}[\]()<>=;,:]/.test(text)) throw new Error(`${file}:${line}: unexpected character ${JSON.stringify(text)}`)
      out.push({ text, line })
    }
    line += text.split('\n').length - 1
  }
  return out
}

/** Parses one file; type names stay as written until resolveSchema. */
class FileParser {
  private pos = 0
  private pkg = ''
  /** `file` names the source in errors; `module` is the basename every definition records */
  constructor (private readonly toks: Token[], private readonly file: string, private readonly module: string,
    private readonly schema: Schema) {}

  private peek (): string { return this.toks[this.pos]?.text ?? '' }
  private fail (msg: string): never {
    const line = this.toks[Math.min(this.pos, this.toks.length - 1)]?.line ?? 0
    throw new Error(`${this.file}:${line}: ${msg}`)
  }

  private next (): string {
    const t = this.toks[this.pos++]
    if (t == null) this.fail('unexpected end of file')
    return t.text
  }

  private expect (text: string): void {
    const got = this.next()
    if (got !== text) this.fail(`expected '${text}', got '${got}'`)
  }

  private ident (): string {
    const t = this.next()
    if (!/^[A-Za-z_][\w.]*$/.test(t)) this.fail(`expected a name, got '${t}'`)
    return t
  }

  private int (): number {
    const t = this.next()
    const n = Number(t)
    if (!Number.isInteger(n)) this.fail(`expected an integer, got '${t}'`)
    return n
  }

  /** Skips a balanced (...), [...] or {...} group starting at the current token. */
  private skipGroup (): void {
    const open = this.next()
    const close = ({ '(': ')', '[': ']', '{': '}' } as Record<string, string>)[open]
    if (close == null) this.fail(`expected a bracket, got '${open}'`)
    let depth = 1
    while (depth > 0) {
      const t = this.next()
      if (t === open) depth++
      else if (t === close) depth--
    }
  }

  /** `option name = value;` with aggregate values skipped. */
  private skipOption (): void {
    while (this.peek() !== ';') {
      if (this.peek() === '{' || this.peek() === '(') this.skipGroup()
      else this.next()
    }
    this.expect(';')
  }

  parse (): void {
    while (this.pos < this.toks.length) {
      const t = this.next()
      if (t === ';') continue
      if (t === 'syntax' || t === 'edition') {
        this.expect('=')
        const v = this.next()
        if (v !== '"proto3"' && v !== "'proto3'") this.fail(`only proto3 is supported, got ${v}`)
        this.expect(';')
      } else if (t === 'package') {
        this.pkg = this.ident() + '.'
        this.expect(';')
      } else if (t === 'import') {
        if (this.peek() === 'public' || this.peek() === 'weak') this.next()
        this.next()
        this.expect(';')
      } else if (t === 'option') this.skipOption()
      else if (t === 'message') this.message(this.pkg)
      else if (t === 'enum') this.enumDef(this.pkg)
      else if (t === 'service') { this.ident(); this.skipGroup() } else this.fail(`unsupported top-level '${t}'`)
    }
  }

  private message (scope: string): void {
    const fullName = scope + this.ident()
    if (this.schema.messages.has(fullName) || this.schema.enums.has(fullName)) this.fail(`${fullName} defined twice`)
    const def: MessageDef = { fullName, file: this.module, fields: [], reservedNumbers: [], reservedNames: [] }
    this.schema.messages.set(fullName, def)
    this.expect('{')
    this.body(def, undefined)
  }

  /** A message body, or a oneof body when `oneof` is set; consumes the closing brace. */
  private body (def: MessageDef, oneof: string | undefined): void {
    const scope = def.fullName + '.'
    for (let t = this.next(); t !== '}'; t = this.next()) {
      if (t === ';') continue
      if (oneof == null && t === 'message') this.message(scope)
      else if (oneof == null && t === 'enum') this.enumDef(scope)
      else if (t === 'option') this.skipOption()
      else if (oneof == null && t === 'reserved') this.reserved(def.reservedNumbers, def.reservedNames)
      else if (oneof == null && t === 'oneof') {
        const name = this.ident()
        this.expect('{')
        this.body(def, name)
      } else if (t === 'extensions' || t === 'extend' || t === 'group') this.fail(`'${t}' is not proto3 and not supported`)
      else this.field(def, t, oneof)
    }
  }

  private field (def: MessageDef, first: string, oneof: string | undefined): void {
    let label: Label = 'singular'
    let type = first
    let keyType: string | undefined
    if (first === 'repeated' || first === 'optional' || first === 'required') {
      if (oneof != null) this.fail(`a oneof field cannot be '${first}'`)
      label = first
      type = this.ident()
    }
    if (type === 'map') {
      if (label !== 'singular') this.fail('a map field takes no label')
      this.expect('<')
      keyType = this.ident()
      this.expect(',')
      type = this.ident()
      this.expect('>')
      label = 'map'
    }
    const name = this.ident()
    this.expect('=')
    const number = this.int()
    if (number < 1 || number > MAX_FIELD || (number >= 19000 && number <= 19999)) this.fail(`${def.fullName}.${name}: invalid field number ${number}`)
    const options: Record<string, string> = {}
    if (this.peek() === '[') {
      this.next()
      while (this.peek() !== ']') {
        const key = this.peek() === '(' ? this.parenName() : this.ident()
        this.expect('=')
        if (this.peek() === '{') this.skipGroup()
        else options[key] = this.next()
        if (this.peek() === ',') this.next()
      }
      this.expect(']')
    }
    this.expect(';')
    if (def.fields.some(f => f.number === number)) this.fail(`${def.fullName}: field number ${number} used twice`)
    if (def.fields.some(f => f.name === name)) this.fail(`${def.fullName}: field name ${name} used twice`)
    const kept = Object.fromEntries(Object.entries(options).filter(([k]) => k === 'jstype' || k === 'packed'))
    def.fields.push({ name, number, label, type, ...(keyType != null ? { keyType } : {}), ...(oneof != null ? { oneof } : {}), options: kept })
  }

  private parenName (): string {
    this.expect('(')
    const n = this.ident()
    this.expect(')')
    let rest = ''
    while (this.peek().startsWith('.')) rest += this.next()
    return `(${n})${rest}`
  }

  private reserved (numbers: Array<[number, number]>, names: string[]): void {
    for (;;) {
      const t = this.peek()
      if (t.startsWith('"') || t.startsWith("'")) names.push(this.next().slice(1, -1))
      else if (/^[A-Za-z_]/.test(t) && t !== 'max') names.push(this.ident()) // editions style
      else {
        const lo = this.int()
        let hi = lo
        if (this.peek() === 'to') {
          this.next()
          hi = this.peek() === 'max' ? (this.next(), MAX_FIELD) : this.int()
        }
        numbers.push([lo, hi])
      }
      if (this.peek() !== ',') break
      this.next()
    }
    this.expect(';')
  }

  private enumDef (scope: string): void {
    const fullName = scope + this.ident()
    if (this.schema.messages.has(fullName) || this.schema.enums.has(fullName)) this.fail(`${fullName} defined twice`)
    const values = new Map<string, number>()
    this.expect('{')
    for (let t = this.next(); t !== '}'; t = this.next()) {
      if (t === ';') continue
      if (t === 'option') { this.skipOption(); continue }
      if (t === 'reserved') { this.reserved([], []); continue }
      if (!/^[A-Za-z_]\w*$/.test(t)) this.fail(`${fullName}: expected a value name, got '${t}'`)
      this.expect('=')
      const n = this.int()
      if (this.peek() === '[') this.skipGroup()
      this.expect(';')
      if (values.has(t)) this.fail(`${fullName}.${t} defined twice`)
      values.set(t, n)
    }
    if (values.size === 0) this.fail(`${fullName} has no values`)
    if ([...values.values()][0] !== 0) this.fail(`${fullName}: the first value must be 0 in proto3`)
    this.schema.enums.set(fullName, { fullName, file: this.module, values })
  }
}

/** Resolves a type name as protoc does: innermost scope first, a leading dot means absolute. */
function resolveType (schema: Schema, scope: string, name: string): string | undefined {
  if (SCALARS.has(name)) return name
  if (name.startsWith('.')) return schema.messages.has(name.slice(1)) || schema.enums.has(name.slice(1)) ? name.slice(1) : undefined
  const parts = scope.split('.')
  for (let i = parts.length; i >= 0; i--) {
    const candidate = [...parts.slice(0, i), name].join('.')
    if (schema.messages.has(candidate) || schema.enums.has(candidate)) return candidate
  }
  return undefined
}

function resolveSchema (schema: Schema): void {
  for (const msg of schema.messages.values()) {
    for (const f of msg.fields) {
      const t = resolveType(schema, msg.fullName, f.type)
      if (t == null) throw new Error(`${msg.file}.proto: ${msg.fullName}.${f.name}: unknown type '${f.type}'`)
      f.type = t
      if (msg.reservedNumbers.some(([lo, hi]) => f.number >= lo && f.number <= hi) || msg.reservedNames.includes(f.name)) {
        throw new Error(`${msg.file}.proto: ${msg.fullName}.${f.name} (field ${f.number}) uses a reserved number or name`)
      }
      if (f.keyType != null && (!SCALARS.has(f.keyType) || ['float', 'double', 'bytes'].includes(f.keyType))) {
        throw new Error(`${msg.file}.proto: ${msg.fullName}.${f.name}: invalid map key type '${f.keyType}'`)
      }
    }
  }
}

/** Parses every *.proto directly in `dir` into one schema (this repo uses no packages). */
export function parseProtoDir (dir: string): Schema {
  const schema: Schema = { messages: new Map(), enums: new Map() }
  const files = readdirSync(dir).filter(f => f.endsWith('.proto')).sort()
  if (files.length === 0) throw new Error(`no .proto files in ${dir}`)
  for (const f of files) {
    const path = join(dir, f)
    new FileParser(tokenize(readFileSync(path, 'utf8'), path), path, basename(f, '.proto'), schema).parse()
  }
  resolveSchema(schema)
  return schema
}

/** The JS property name protons (through protobufjs) gives a proto field name. */
export function jsName (protoName: string): string {
  return protoName.slice(0, 1) + protoName.slice(1).replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
}
