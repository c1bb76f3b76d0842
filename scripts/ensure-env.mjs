#!/usr/bin/env node
// Makes a fresh clone runnable with no manual step, on the Node 20 these machines ship:
// installs dependencies unless node_modules already holds what package-lock.json names (however it
// got there: this script, `npm ci` or `npm install`), which pulls Node 24 from the npm registry as
// the `node` devDependency (npm scripts put it first on PATH), then compiles TypeScript when any
// source is newer than the last build. Two set-ups started at once in one clone take turns (a lock
// directory next to package.json), so neither installs into a node_modules the other is replacing.
// Written for Node >= 18 on purpose.
import { existsSync, readFileSync, writeFileSync, readdirSync, statSync, mkdirSync, rmSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { hostname } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const forceBuild = process.argv.includes('--force-build')
const quiet = process.env.EDGECODER_QUIET_SETUP === '1'
const log = (msg) => { if (!quiet) process.stderr.write(`[setup] ${msg}\n`) }

function run (cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: process.env })
}

function sleep (ms) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms) }

const readJson = (p) => { try { return JSON.parse(readFileSync(p, 'utf8')) } catch { return undefined } }

// --- the lock: a directory (mkdir is atomic) holding its owner's pid ---
const lockDir = join(root, '.edgecoder-setup.lock')
function ownerAlive (owner) {
  if (owner == null || typeof owner.pid !== 'number') return false
  if (owner.host !== hostname()) return true
  try { process.kill(owner.pid, 0); return true } catch (err) { return err.code === 'EPERM' }
}
function acquire () {
  let told = false
  for (;;) {
    try {
      mkdirSync(lockDir)
      writeFileSync(join(lockDir, 'owner.json'), JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }) + '\n')
      process.on('exit', () => { rmSync(lockDir, { recursive: true, force: true }) })
      return
    } catch (err) {
      if (err.code !== 'EEXIST') throw err
    }
    const owner = readJson(join(lockDir, 'owner.json'))
    let age = 0
    try { age = Date.now() - statSync(lockDir).mtimeMs } catch { continue }
    // a set-up that died (kill -9, a crash) leaves the directory: take it over; an owner that has
    // not written its pid within 10 s is taken for dead too, and so is one holding it for an hour
    // (its pid reused by an unrelated process)
    if (owner == null ? age > 10_000 : !ownerAlive(owner) || age > 3_600_000) {
      log(`taking over the set-up lock of a set-up that is gone (${owner != null ? `pid ${owner.pid}` : 'no owner'})`)
      rmSync(lockDir, { recursive: true, force: true })
      continue
    }
    if (!told) { log(`waiting for another set-up of this clone to finish (${owner != null ? `pid ${owner.pid}` : 'starting'}) ...`); told = true }
    sleep(250)
  }
}

/** Why node_modules does not hold what package-lock.json names, or null when it does. */
function installMismatch () {
  const lock = readJson(join(root, 'package-lock.json'))
  if (lock == null || lock.packages == null) return 'no package-lock.json (v2 or later) to compare with'
  const pkg = readJson(join(root, 'package.json')) ?? {}
  // a package.json edited since the lock was written: npm ci reports that itself
  const want = lock.packages[''] ?? {}
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    if (JSON.stringify(pkg[field] ?? {}) !== JSON.stringify(want[field] ?? {})) return `package.json ${field} differ from package-lock.json`
  }
  for (const [path, meta] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/')) continue
    const installed = readJson(join(root, path, 'package.json'))
    if (installed == null) {
      // optional packages of other platforms (esbuild's, fsevents) are never installed here
      if (meta.optional === true || meta.devOptional === true) continue
      return `${path} is missing`
    }
    if (meta.link !== true && meta.version != null && installed.version !== meta.version) return `${path} is ${installed.version}, the lock says ${meta.version}`
  }
  if (lock.packages['node_modules/node'] != null && !existsSync(join(root, 'node_modules', '.bin', 'node'))) return 'node_modules/.bin/node is missing'
  return null
}

acquire()
{
  const why = installMismatch()
  if (why != null) {
    log(`installing dependencies (npm ci: ${why}) ...`)
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    run(npm, [existsSync(join(root, 'package-lock.json')) ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error'])
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
const tsconfig = join(root, 'tsconfig.json')
const buildStamp = join(root, 'dist', '.build-stamp')
// (no tsconfig.json: nothing to compile)
if (existsSync(tsconfig)) {
  const srcNewest = Math.max(...['src', 'test', 'examples', 'bench'].map(d => newestMtime(join(root, d))), statSync(tsconfig).mtimeMs)
  const built = existsSync(buildStamp) ? statSync(buildStamp).mtimeMs : 0
  if (srcNewest > built || forceBuild) {
    log('compiling TypeScript ...')
    run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig])
    mkdirSync(join(root, 'dist'), { recursive: true })
    writeFileSync(buildStamp, new Date().toISOString() + '\n')
  }
}
