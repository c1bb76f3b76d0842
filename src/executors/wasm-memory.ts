// Caps the linear memory a WebAssembly module can ever have by rewriting its memory section.
// A wasm memory lives outside the V8 heap, so the Worker's resourceLimits do not bound it: the
// declared maximum is the only hard limit, and memory.grow past it returns -1 inside the guest.
// The parser reads just enough of the binary format to find imports and the memory section and
// copies every other byte verbatim; full validation is left to WebAssembly.Module afterwards.
import { InvalidWasmModuleError, MemoryLimitExceededError } from '../errors/index.js'

export const WASM_PAGE_BYTES = 65536
/** a 32-bit memory cannot have more pages than this (4 GiB) */
const MAX_PAGES_32 = 65536

const SECTION_IMPORT = 2
const SECTION_MEMORY = 5
/** highest known section id (13 = tag, from exception handling) */
const MAX_SECTION_ID = 13

const LIMITS_HAS_MAX = 0x01
const LIMITS_SHARED = 0x02
const LIMITS_MEMORY64 = 0x04

/** How many 64 KiB pages fit in a cap given in MiB (rounded down). */
export function pagesForMb (memoryLimitMb: number): number {
  if (!Number.isFinite(memoryLimitMb) || memoryLimitMb < 0) throw new MemoryLimitExceededError(`invalid memory limit ${memoryLimitMb} MiB`)
  return Math.floor(memoryLimitMb * 1024 * 1024 / WASM_PAGE_BYTES)
}

function invalid (msg: string): never {
  throw new InvalidWasmModuleError(`malformed wasm module: ${msg}`)
}

class Reader {
  pos: number
  constructor (private readonly buf: Uint8Array, start: number, private readonly end: number) {
    this.pos = start
  }

  atEnd (): boolean { return this.pos >= this.end }

  byte (): number {
    if (this.pos >= this.end) invalid(`unexpected end at byte ${this.pos}`)
    return this.buf[this.pos++]
  }

  /**
   * Unsigned LEB128 of at most `bits` bits. Returned as a JS number: exact up to 2^53, which
   * covers every u32 and any memory64 page count that could pass a cap.
   */
  uleb (bits: 32 | 64): number {
    const maxBytes = Math.ceil(bits / 7)
    let result = 0
    let scale = 1
    for (let i = 0; i < maxBytes; i++) {
      const b = this.byte()
      result += (b & 0x7f) * scale
      scale *= 128
      if ((b & 0x80) === 0) {
        // the last byte of a maximal-length encoding may only use the bits that remain
        if (i === maxBytes - 1 && (b >> (bits - 7 * i)) !== 0) invalid(`LEB128 overflows u${bits} at byte ${this.pos - 1}`)
        return result
      }
    }
    return invalid(`LEB128 longer than ${maxBytes} bytes at byte ${this.pos}`)
  }

  /** Signed LEB128 (s33 heap types): only skipped, never interpreted. */
  skipSleb33 (): void {
    for (let i = 0; i < 5; i++) if ((this.byte() & 0x80) === 0) return
    invalid(`s33 LEB128 too long at byte ${this.pos}`)
  }

  skip (n: number): void {
    if (n > this.end - this.pos) invalid(`length ${n} runs past the end at byte ${this.pos}`)
    this.pos += n
  }

  /** A name or byte vector: length then bytes. */
  skipVec (): void { this.skip(this.uleb(32)) }
}

/** Skips a value type / reference type: one byte, or 0x63/0x64 (ref null / ref) plus a heap type. */
function skipValType (r: Reader): void {
  const t = r.byte()
  if (t === 0x63 || t === 0x64) r.skipSleb33()
}

interface Limits { flags: number, min: number, max: number | undefined }

function readLimits (r: Reader): Limits {
  const flags = r.byte()
  if ((flags & ~(LIMITS_HAS_MAX | LIMITS_SHARED | LIMITS_MEMORY64)) !== 0) invalid(`unknown limits flags 0x${flags.toString(16)}`)
  const bits = (flags & LIMITS_MEMORY64) !== 0 ? 64 : 32
  const min = r.uleb(bits)
  const max = (flags & LIMITS_HAS_MAX) !== 0 ? r.uleb(bits) : undefined
  return { flags, min, max }
}

function writeUleb (out: number[], value: number): void {
  let v = value
  do {
    const low = v % 128
    v = Math.floor(v / 128)
    out.push(v > 0 ? low | 0x80 : low)
  } while (v > 0)
}

/** Walks the import section; an imported memory could be any size, so it is refused. */
function checkImports (r: Reader): void {
  const count = r.uleb(32)
  for (let i = 0; i < count; i++) {
    r.skipVec() // module name
    r.skipVec() // field name
    const kind = r.byte()
    switch (kind) {
      case 0x00: r.uleb(32); break // function: type index
      case 0x01: skipValType(r); readLimits(r); break // table: reftype + limits
      case 0x02: throw new MemoryLimitExceededError('the module imports its memory, which cannot be capped')
      case 0x03: skipValType(r); r.byte(); break // global: valtype + mutability
      case 0x04: r.byte(); r.uleb(32); break // tag: attribute + type index
      default: invalid(`unknown import kind 0x${kind.toString(16)}`)
    }
  }
  if (!r.atEnd()) invalid('import section has trailing bytes')
}

/** Returns the new content of the memory section with every maximum clamped to capPages. */
function capMemorySection (r: Reader, capPages: number): number[] {
  const count = r.uleb(32)
  // Several memories would each get the full cap; refuse rather than multiply the limit.
  if (count > 1) throw new InvalidWasmModuleError(`the module declares ${count} memories; at most one is supported`)
  const out: number[] = []
  writeUleb(out, count)
  for (let i = 0; i < count; i++) {
    const { flags, min, max } = readLimits(r)
    if (min > capPages) {
      throw new MemoryLimitExceededError(`the module needs at least ${min} pages (${min * WASM_PAGE_BYTES} bytes) of memory; the cap is ${capPages} pages`)
    }
    const hardMax = (flags & LIMITS_MEMORY64) !== 0 ? Number.MAX_SAFE_INTEGER : MAX_PAGES_32
    const newMax = Math.min(max ?? hardMax, capPages, hardMax)
    out.push(flags | LIMITS_HAS_MAX)
    writeUleb(out, min)
    writeUleb(out, newMax)
  }
  if (!r.atEnd()) invalid('memory section has trailing bytes')
  return out
}

/**
 * Returns a copy of `module` whose memory can never exceed `capPages` pages.
 * Throws InvalidWasmModuleError on a malformed binary, MemoryLimitExceededError when the module
 * imports its memory or its initial memory is already larger than the cap.
 * A module without a memory is returned unchanged (WASI will refuse it later).
 */
export function capModuleMemory (module: Uint8Array, capPages: number): Uint8Array {
  if (module.byteLength < 8) invalid('shorter than the 8-byte header')
  const magic = [0x00, 0x61, 0x73, 0x6d]
  for (let i = 0; i < 4; i++) if (module[i] !== magic[i]) invalid('missing \\0asm magic')
  // version 1 only: components (version 0x0d, layer 1) are not core modules
  if (module[4] !== 1 || module[5] !== 0 || module[6] !== 0 || module[7] !== 0) invalid('unsupported binary version')

  let memory: { start: number, end: number, content: number[] } | undefined
  const top = new Reader(module, 8, module.byteLength)
  while (!top.atEnd()) {
    const sectionStart = top.pos
    const id = top.byte()
    if (id > MAX_SECTION_ID) invalid(`unknown section id ${id} at byte ${sectionStart}`)
    const size = top.uleb(32)
    const contentStart = top.pos
    top.skip(size)
    const section = new Reader(module, contentStart, top.pos)
    if (id === SECTION_IMPORT) checkImports(section)
    else if (id === SECTION_MEMORY) {
      if (memory != null) invalid('more than one memory section')
      memory = { start: sectionStart, end: top.pos, content: capMemorySection(section, capPages) }
    }
  }
  if (memory == null) return module

  const header: number[] = [SECTION_MEMORY]
  writeUleb(header, memory.content.length)
  const out = new Uint8Array(module.byteLength - (memory.end - memory.start) + header.length + memory.content.length)
  out.set(module.subarray(0, memory.start), 0)
  out.set(header, memory.start)
  out.set(memory.content, memory.start + header.length)
  out.set(module.subarray(memory.end), memory.start + header.length + memory.content.length)
  return out
}
