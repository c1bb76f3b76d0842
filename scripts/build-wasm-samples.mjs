#!/usr/bin/env node
// Compiles the WAT samples in examples/wasm/ to .wasm next to them with the `wabt` devDependency.
// The .wasm files are committed, so running the node (and its tests) never needs wabt.
// Usage: node scripts/build-wasm-samples.mjs
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import initWabt from 'wabt'

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'wasm')
const wabt = await initWabt()

for (const file of readdirSync(dir).filter(f => f.endsWith('.wat')).sort()) {
  const mod = wabt.parseWat(file, readFileSync(join(dir, file), 'utf8'))
  try {
    mod.resolveNames()
    mod.validate()
    // canonical LEBs and no name section: small, reproducible binaries
    const { buffer } = mod.toBinary({ canonicalize_lebs: true, write_debug_names: false })
    const out = join(dir, file.replace(/\.wat$/, '.wasm'))
    writeFileSync(out, buffer)
    process.stdout.write(`${file} -> ${out} (${buffer.byteLength} bytes)\n`)
  } finally {
    mod.destroy()
  }
}
