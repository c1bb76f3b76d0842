#!/usr/bin/env node
// Makes a fresh clone runnable with no manual step, on the Node 20 these machines ship:
// installs dependencies when package-lock.json changed (this pulls Node 24 from the npm registry
// as the `node` devDependency, which npm scripts put first on PATH), then compiles TypeScript
// when any source is newer than the last build. Written for Node >= 18 on purpose.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync, readdirSync, statSync, mkdirSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const forceBuild = process.argv.includes('--force-build')
const quiet = process.env.EDGECODER_QUIET_SETUP === '1'
const log = (msg) => { if (!quiet) process.stderr.write(`[setup] ${msg}\n`) }

function hashOf (files) {
  const h = createHash('sha256')
  for (const f of files) {
    const p = join(root, f)
    h.update(f + '\0')
    if (existsSync(p)) h.update(readFileSync(p))
  }
  return h.digest('hex')
}

function run (cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: process.env })
}

{
  const stamp = join(root, 'node_modules', '.edgecoder-install-stamp')
  const want = hashOf(['package.json', 'package-lock.json'])
  const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : ''
  const nodeBin = join(root, 'node_modules', '.bin', 'node')
  if (have !== want || !existsSync(nodeBin)) {
    log('installing dependencies (npm ci) ...')
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    run(npm, [existsSync(join(root, 'package-lock.json')) ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error'])
    writeFileSync(stamp, want + '\n')
  }
}

// Rebuild when any TypeScript source is newer than the build stamp.
function newestMtime (dir) {
  let newest = 0
  if (!existsSync(dir)) return 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p))
    else if (/\.(ts|mts|json)$/.test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs)
  }
  return newest
}
const buildStamp = join(root, 'dist', '.build-stamp')
const srcNewest = Math.max(...['src', 'test', 'examples', 'bench'].map(d => newestMtime(join(root, d))),
  statSync(join(root, 'tsconfig.json')).mtimeMs)
const built = existsSync(buildStamp) ? statSync(buildStamp).mtimeMs : 0
if (srcNewest > built || forceBuild) {
  log('compiling TypeScript ...')
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')])
  mkdirSync(join(root, 'dist'), { recursive: true })
  writeFileSync(buildStamp, new Date().toISOString() + '\n')
}
