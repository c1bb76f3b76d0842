// Finds the protons codec for a message by name: `<dir>/<file>.js` for the .proto file that defines
// it (protons names its output after the .proto file), then Outer.Inner through the nested namespaces.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Schema } from './proto-parser.js'
import { isObj, type Obj } from './values.js'

export interface MessageCodec {
  encode: (obj: Obj) => Uint8Array
  decode: (buf: Uint8Array) => Obj
}

export type CodecModules = Map<string, Obj>

function isCodec (v: unknown): v is MessageCodec {
  return (typeof v === 'object' || typeof v === 'function') && v != null &&
    typeof (v as Partial<Record<string, unknown>>).encode === 'function' &&
    typeof (v as Partial<Record<string, unknown>>).decode === 'function'
}

/** Imports `<dir>/<file>.js` for every .proto file the schema names; a missing one is left out. */
export async function loadCodecs (dir: URL, schema: Schema): Promise<CodecModules> {
  const files = new Set([...schema.messages.values()].map(m => m.file))
  const out: CodecModules = new Map()
  for (const file of files) {
    const url = new URL(`${file}.js`, dir)
    if (!existsSync(fileURLToPath(url))) continue
    const mod: unknown = await import(url.href)
    if (isObj(mod)) out.set(file, mod)
  }
  return out
}

export function codecFor (mods: CodecModules, schema: Schema, name: string, where: string): MessageCodec {
  const file = schema.messages.get(name)?.file
  if (file == null) throw new Error(`${name} is not a message in ${where}`)
  const mod = mods.get(file)
  if (mod == null) throw new Error(`${where}: no generated ${file}.js for ${file}.proto (run the protons command)`)
  let v: unknown = mod
  for (const part of name.split('.')) v = (typeof v === 'object' || typeof v === 'function') && v != null ? (v as Obj)[part] : undefined
  if (!isCodec(v)) throw new Error(`${where}: ${file}.js has no codec for ${name} (stale generated code? run the protons command)`)
  return v
}
