// The service files in deploy/: the wrapper honours the runbook's environment (EDGE_RUNTIME_MODE,
// AGENT_ID, AGENT_REGISTRATION_TOKEN), the environment file is one a systemd EnvironmentFile
// reads as meant, and the unit passes systemd-analyze where it is installed.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdir, readFile, writeFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { Fixture, waitFor, freePort } from './helpers.js'
import { opsOptionsFromEnv } from '../src/ops/daemon-ops.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const WRAPPER = join(ROOT, 'deploy', 'edgecoder-service')

/**
 * The settings among `keys` the wrapper passes on to the daemon: it runs against a stand-in install
 * (EDGECODER_HOME) whose node binary records its arguments, with each setting given a value of its
 * own; a setting is passed on when its value shows up in those arguments.
 */
async function passedOnByWrapper (keys: string[], dir: string): Promise<Set<string>> {
  const home = join(dir, 'install')
  await mkdir(join(home, 'dist', 'src', 'cli'), { recursive: true })
  await writeFile(join(home, 'dist', 'src', 'cli', 'main.js'), '')
  await mkdir(join(home, 'node_modules', 'node', 'bin'), { recursive: true })
  const argsFile = join(dir, 'args')
  await writeFile(join(home, 'node_modules', 'node', 'bin', 'node'), '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done >> "$ARGS_FILE"\n', { mode: 0o755 })
  // a value each setting can take (the mode is checked), distinct from every default
  const value = (k: string): string => k === 'EDGE_RUNTIME_MODE' ? 'client' : k === 'EDGECODER_DATA_DIR' ? join(dir, 'data-marker') : `marker-${k.toLowerCase()}`
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, EDGECODER_HOME: home, ARGS_FILE: argsFile }
  for (const k of keys) env[k] = value(k)
  const r = spawnSync('bash', [WRAPPER], { env, timeout: 10_000 })
  assert.equal(r.status, 0, r.stderr.toString())
  const args = (await readFile(argsFile, 'utf8')).split('\n')
  assert.ok(args.includes('start'), `the wrapper started nothing: ${JSON.stringify(args)}`)
  return new Set(keys.filter(k => args.includes(value(k))))
}

/** The environment variables a TypeScript file reads as `process.env.NAME` or `process.env['NAME']` in its code. */
function envReads (path: string, text: string): Set<string> {
  const out = new Set<string>()
  const isProcessEnv = (e: ts.Expression): boolean => ts.isPropertyAccessExpression(e) && e.name.text === 'env' && ts.isIdentifier(e.expression) && e.expression.text === 'process'
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAccessExpression(n) && isProcessEnv(n.expression)) out.add(n.name.text)
    if (ts.isElementAccessExpression(n) && isProcessEnv(n.expression) && ts.isStringLiteral(n.argumentExpression)) out.add(n.argumentExpression.text)
    ts.forEachChild(n, visit)
  }
  visit(ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true))
  return out
}

describe('service install files (deploy/)', function () {
  this.timeout(60_000)
  const fx = new Fixture()
  after(async () => { await fx.cleanup() })

  it('the wrapper starts the role from EDGE_RUNTIME_MODE, names the node AGENT_ID, keeps the token off the command line, and stops cleanly on SIGTERM', async () => {
    const dir = join(await fx.dir(), 'data')
    const http = `127.0.0.1:${await freePort()}`
    const token = 'reg-token-0123456789'
    const child = spawn('bash', [WRAPPER], {
      env: { ...process.env, EDGE_RUNTIME_MODE: 'coordinator', AGENT_ID: 'rack7-node3', AGENT_REGISTRATION_TOKEN: token, EDGECODER_DATA_DIR: dir, EDGECODER_HTTP: http, EDGECODER_LISTEN: '/ip4/127.0.0.1/tcp/0', EDGECODER_QUARANTINE_MS: '5000' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let logs = ''
    child.stdout.on('data', (d: Buffer) => { logs += d.toString() })
    child.stderr.on('data', (d: Buffer) => { logs += d.toString() })
    try {
      await waitFor(() => logs.includes('node started'), 30_000, 'the service to start')
      const s = await (await fetch(`http://${http}/status`)).json() as { role: string }
      assert.equal(s.role, 'coordinator')
      assert.equal((await stat(join(dir, 'identity.key'))).mode & 0o777, 0o600)
      const started = logs.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>).find(o => o.msg === 'node started')
      assert.equal(started?.agentId, 'rack7-node3')
      // the token is in the daemon's environment, not in its argv
      const args = spawnSync('ps', ['-o', 'args=', '-p', String(child.pid)]).stdout.toString()
      assert.ok(args.includes('main.js start'), args)
      assert.ok(!args.includes(token))
      const environ = await readFile(`/proc/${String(child.pid)}/environ`, 'utf8').catch(() => '')
      if (environ !== '') assert.ok(environ.split('\0').includes(`AGENT_REGISTRATION_TOKEN=${token}`))
    } finally {
      child.kill('SIGTERM')
    }
    const code = await new Promise<number | null>(resolve => { child.once('exit', c => { resolve(c) }) })
    assert.equal(code, 0, logs)
    assert.match(logs, /"msg":"stopped"/)
  })

  it('the wrapper and the daemon refuse bad settings with one line', async () => {
    const bad = spawnSync('bash', [WRAPPER], { env: { ...process.env, EDGE_RUNTIME_MODE: 'miner', EDGECODER_DATA_DIR: join(await fx.dir(), 'd') } })
    assert.equal(bad.status, 2)
    assert.match(bad.stderr.toString(), /^edgecoder-service: EDGE_RUNTIME_MODE must be worker, coordinator or client, not "miner"\n$/)
    const dir = join(await fx.dir(), 'd2')
    const r = spawnSync('bash', [WRAPPER], { env: { ...process.env, EDGE_RUNTIME_MODE: 'coordinator', EDGECODER_DATA_DIR: dir, EDGECODER_HTTP: '127.0.0.1:0', EDGECODER_QUARANTINE_MS: 'soon' }, timeout: 30_000 })
    assert.equal(r.status, 1)
    assert.match(r.stderr.toString(), /error: environment variable EDGECODER_QUARANTINE_MS must be a positive whole number, got "soon" \[InvalidConfigError\]/)
  })

  it('the environment file holds the runbook variables, one KEY=value per line, and the unit reads it', async () => {
    const env = await readFile(join(ROOT, 'deploy', 'edgecoder.env'), 'utf8')
    const keys: string[] = []
    for (const line of env.split('\n')) {
      if (line === '' || line.startsWith('#')) continue
      // systemd takes everything after "=" as the value: an inline comment would end up in it
      assert.match(line, /^[A-Z][A-Z0-9_]*=[^#\s]*$/, line)
      keys.push(line.split('=')[0])
    }
    for (const k of ['EDGE_RUNTIME_MODE', 'AGENT_ID', 'AGENT_REGISTRATION_TOKEN', 'EDGECODER_DATA_DIR', 'EDGECODER_HTTP']) assert.ok(keys.includes(k), k)
    // every setting the file offers takes effect: the wrapper passes it on to the daemon, the daemon's
    // ops options take it, or the daemon's code reads it from its environment (a mention in a
    // comment is none of these)
    const passed = await passedOnByWrapper(keys, await fx.dir())
    const ops = new Set(keys.filter(k => Object.keys(opsOptionsFromEnv({ [k]: '7' })).length > 0))
    const daemonReads = envReads(join(ROOT, 'src', 'cli', 'daemon.ts'), await readFile(join(ROOT, 'src', 'cli', 'daemon.ts'), 'utf8'))
    for (const k of keys) assert.ok(passed.has(k) || ops.has(k) || daemonReads.has(k), `${k} is read nowhere`)
    // and the split is the one the file describes: the two runbook names stay in the environment
    assert.deepEqual([...daemonReads].filter(k => keys.includes(k)).sort(), ['AGENT_ID', 'AGENT_REGISTRATION_TOKEN'])
    const unit = await readFile(join(ROOT, 'deploy', 'edgecoder.service'), 'utf8')
    assert.match(unit, /^EnvironmentFile=\/etc\/edgecoder\/edgecoder\.env$/m)
    assert.match(unit, /^ExecStart=\/opt\/edgecoder\/deploy\/edgecoder-service$/m)
    // the plist's XML comments do not count either
    const plist = (await readFile(join(ROOT, 'deploy', 'io.edgecoder.runtime.plist'), 'utf8')).replace(/<!--[\s\S]*?-->/g, '')
    assert.match(plist, /<string>io\.edgecoder\.runtime<\/string>/)
    assert.match(plist, /\. \/etc\/edgecoder\/edgecoder\.env; set \+a; exec \/opt\/edgecoder\/deploy\/edgecoder-service/)
  })

  // systemd-analyze comes with Debian's systemd package; `npm test` installs it (scripts/ensure-test-tools.sh)
  function systemdAnalyze (): void {
    if (spawnSync('systemd-analyze', ['--version']).error != null) assert.fail('systemd-analyze is not installed: apt-get install systemd (as root, npm test does it)')
  }

  it('systemd-analyze verify accepts the unit as shipped, with only its install path templated', async () => {
    systemdAnalyze()
    const shipped = await readFile(join(ROOT, 'deploy', 'edgecoder.service'), 'utf8')
    const copy = join(await fx.dir(), 'edgecoder.service')
    // ExecStart must exist: this checkout stands in for /opt/edgecoder
    await writeFile(copy, shipped.replaceAll('/opt/edgecoder', ROOT.replace(/\/$/, '')))
    const r = spawnSync('systemd-analyze', ['verify', copy])
    assert.equal(r.status, 0, r.stderr.toString())
    assert.equal(r.stderr.toString().trim(), '', 'no unknown keys or bad values')
  })

  it('the unit is sandboxed: systemd-analyze security rates its exposure 4.0 or lower', async () => {
    systemdAnalyze()
    const unit = join(ROOT, 'deploy', 'edgecoder.service')
    // --threshold is on the 0-100 scale in systemd 252 (the printed 4.0 is 40): exit 1 above it
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--threshold=40', unit])
    const text = r.stdout.toString()
    const m = /Overall exposure level for edgecoder\.service: (\d+\.\d)/.exec(text)
    assert.ok(m != null, text + r.stderr.toString())
    assert.ok(Number(m[1]) <= 4.0, `exposure ${m[1]}`)
    assert.equal(r.status, 0, text)
    const shipped = await readFile(unit, 'utf8')
    for (const line of ['NoNewPrivileges=true', 'ProtectSystem=strict', 'ProtectHome=true', 'PrivateTmp=true', 'PrivateDevices=true', 'ProtectKernelTunables=true',
      'ProtectKernelModules=true', 'ProtectKernelLogs=true', 'CapabilityBoundingSet=', 'SystemCallFilter=@system-service', 'UMask=0077', 'StateDirectory=edgecoder', 'ReadWritePaths=/var/lib/edgecoder']) {
      assert.match(shipped, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), line)
    }
    assert.match(shipped, /^RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6/m)
  })
})
