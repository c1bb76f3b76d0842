// scripts/ensure-env.mjs (run before npm start, npm test, npm run build) installs only when
// node_modules does not hold what package-lock.json names, and two set-ups at once take turns.
// A real npm on a small project whose one dependency is a local tarball (no registry needed).
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Fixture } from './helpers.js'

const SCRIPT = fileURLToPath(new URL('../../scripts/ensure-env.mjs', import.meta.url))
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

async function project (fx: Fixture): Promise<string> {
  const root = await fx.dir()
  await mkdir(join(root, 'dep'))
  await mkdir(join(root, 'scripts'))
  await writeFile(join(root, 'dep', 'package.json'), JSON.stringify({ name: 'edgecoder-test-dep', version: '1.0.0' }))
  const pack = spawnSync(npm, ['pack', '--silent'], { cwd: join(root, 'dep') })
  assert.equal(pack.status, 0, pack.stderr.toString())
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', dependencies: { 'edgecoder-test-dep': 'file:dep/edgecoder-test-dep-1.0.0.tgz' } }))
  await copyFile(SCRIPT, join(root, 'scripts', 'ensure-env.mjs'))
  return root
}

function npmInstall (root: string): void {
  const r = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--offline'], { cwd: root })
  assert.equal(r.status, 0, r.stderr.toString())
}

async function setup (root: string): Promise<{ code: number | null, stderr: string }> {
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'ensure-env.mjs')], { cwd: root, env: { ...process.env, EDGECODER_QUIET_SETUP: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stderr += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`set-up timed out\n${stderr}`)) }, 60_000)
    child.on('exit', code => { clearTimeout(t); resolve({ code, stderr }) })
  })
}

const installs = (s: string): number => s.split('\n').filter(l => l.startsWith('[setup] installing dependencies')).length

describe('set-up (scripts/ensure-env.mjs)', function () {
  this.timeout(120_000)
  const fx = new Fixture()
  after(async () => { await fx.cleanup() })

  it('after `npm install` it recognises the install as the lock\'s and installs nothing; a broken install it reinstalls', async () => {
    const root = await project(fx)
    npmInstall(root)
    const marker = join(root, 'node_modules', 'edgecoder-test-dep', 'MARKER')
    await writeFile(marker, 'kept')
    const r = await setup(root)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(installs(r.stderr), 0, r.stderr)
    assert.ok(existsSync(marker), 'node_modules was left alone')
    // positive control: the same run does install when the install is not the lock's
    await rm(join(root, 'node_modules', 'edgecoder-test-dep', 'package.json'))
    const again = await setup(root)
    assert.equal(again.code, 0, again.stderr)
    assert.equal(installs(again.stderr), 1, again.stderr)
    assert.match(again.stderr, /node_modules\/edgecoder-test-dep is missing/)
    assert.equal(existsSync(marker), false, 'npm ci replaced node_modules')
    assert.equal(JSON.parse(await readFile(join(root, 'node_modules', 'edgecoder-test-dep', 'package.json'), 'utf8')).version, '1.0.0')
    // and a third run is a no-op again
    assert.equal(installs((await setup(root)).stderr), 0)
  })

  it('two set-ups started at once in one clone install once, and both succeed', async () => {
    const root = await project(fx)
    npmInstall(root)
    await rm(join(root, 'node_modules'), { recursive: true })
    const [a, b] = await Promise.all([setup(root), setup(root)])
    assert.equal(a.code, 0, a.stderr)
    assert.equal(b.code, 0, b.stderr)
    assert.equal(installs(a.stderr) + installs(b.stderr), 1, a.stderr + b.stderr)
    assert.match(a.stderr + b.stderr, /waiting for another set-up of this clone/)
    assert.ok(existsSync(join(root, 'node_modules', 'edgecoder-test-dep', 'package.json')))
    assert.equal(existsSync(join(root, '.edgecoder-setup.lock')), false, 'the lock is released')
  })

  it('a lock left by a set-up that was killed is taken over', async () => {
    const root = await project(fx)
    npmInstall(root)
    // a pid that is not running: a child that has exited
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
    await mkdir(join(root, '.edgecoder-setup.lock'))
    await writeFile(join(root, '.edgecoder-setup.lock', 'owner.json'), JSON.stringify({ pid: Number(dead), host: (await import('node:os')).hostname() }))
    const r = await setup(root)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /taking over the set-up lock/)
    assert.equal(existsSync(join(root, '.edgecoder-setup.lock')), false)
  })
})
