// The CLI's basics, run as separate processes: version, help per command, suggestions, group usage
// lines, one-line errors for unusable listen addresses and uninitialised data dirs, token expiry and
// state, operator actions signed with --admin-key, and `ledger reconcile` on a coordinator.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Fixture, waitFor, freePort } from './helpers.js'
import { cli, cliJson, startDaemon, stopDaemon, type Daemon, type RunResult } from './cli-helpers.js'
import { SUBCOMMANDS } from '../src/cli/help.js'

const PKG = JSON.parse(await readFile(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }
const COMMANDS = ['init', 'start', 'id', 'jobs', 'peers', 'ledger', 'token', 'nodes', 'policy', 'audit', 'admin', 'demo', 'status', 'backup', 'restore']

function oneLineError (r: RunResult, name: string, re: RegExp): void {
  assert.equal(r.code, 1, r.stdout + r.stderr)
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`)
  assert.match(r.stderr, new RegExp(`^error: .*\\[${name}\\]\\n$`), r.stderr)
  assert.match(r.stderr, re)
}

/** Runs the CLI for each argument list, two at a time (the CLI start-up is most of each run). */
async function cliAll (argLists: string[][]): Promise<RunResult[]> {
  const results: RunResult[] = []
  for (let i = 0; i < argLists.length; i += 2) results.push(...await Promise.all(argLists.slice(i, i + 2).map(async a => await cli(a))))
  return results
}

async function holdPort (): Promise<{ server: Server, port: number }> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const a = server.address()
  return { server, port: typeof a === 'object' && a != null ? a.port : 0 }
}

describe('CLI basics', function () {
  this.timeout(120_000)
  const fx = new Fixture()
  const daemons: Daemon[] = []
  after(async () => {
    for (const d of daemons) await stopDaemon(d, 'SIGKILL')
    await fx.cleanup()
  })

  it('--version, -V and version print the package version', async () => {
    for (const args of [['--version'], ['-V'], ['version']]) {
      const r = await cli(args)
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, `edgecoder-node ${PKG.version}\n`)
    }
    assert.equal((await cliJson<{ version: string }>(['version'])).version, PKG.version)
  })

  it('help CMD and CMD --help show that command\'s usage only, naming each of its subcommands', async () => {
    const full = await cli(['--help'])
    assert.equal(full.code, 0)
    const cases = COMMANDS.flatMap(cmd => [['help', cmd], [cmd, cmd === 'nodes' ? '-h' : '--help']])
    const results = await cliAll(cases)
    for (const [i, args] of cases.entries()) {
      const cmd = args[0] === 'help' ? args[1] : args[0]
      const r = results[i]
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stdout, /^Usage:\n/)
      const heads = r.stdout.split('\n').filter(l => /^ {2}edgecoder-node /.test(l))
      assert.ok(heads.length > 0, args.join(' '))
      for (const h of heads) assert.match(h, new RegExp(`^ {2}edgecoder-node ${cmd} `), `${args.join(' ')}: ${h}`)
      assert.ok(r.stdout.length < full.stdout.length / 2, `${args.join(' ')} is not the whole usage`)
      for (const sub of SUBCOMMANDS[cmd] ?? []) assert.ok(r.stdout.includes(sub), `help ${cmd} names ${sub}`)
    }
    oneLineError(await cli(['help', 'nods']), 'InvalidArgumentError', /no command "nods" \(did you mean nodes\?\)/)
  })

  it('an unknown command, subcommand or option gets a suggestion; a group\'s usage line names all its subcommands', async () => {
    oneLineError(await cli(['stat']), 'InvalidArgumentError', /unknown command "stat" \(did you mean status\?\)/)
    oneLineError(await cli(['tokn', 'list']), 'InvalidArgumentError', /did you mean token\?/)
    const none = await cli(['frobnicate'])
    oneLineError(none, 'InvalidArgumentError', /unknown command "frobnicate" \(see edgecoder-node --help\)/)
    oneLineError(await cli(['status', '--jsn']), 'InvalidArgumentError', /unknown option --jsn \(did you mean --json\?\)/)
    oneLineError(await cli(['nodes', 'drain', 'x', '--resaon', 'r']), 'InvalidArgumentError', /unknown option --resaon \(did you mean --reason\?\)/)
    oneLineError(await cli(['nodes', 'lst']), 'InvalidArgumentError', /unknown nodes subcommand "lst" \(did you mean list\?\)/)
    // the case: nodes lacked drain, isolate and return in its usage line
    const nodes = await cli(['nodes'])
    oneLineError(nodes, 'InvalidArgumentError', /usage: edgecoder-node nodes /)
    for (const sub of ['list', 'approve', 'reject', 'blacklist', 'drain', 'isolate', 'return']) assert.ok(nodes.stderr.includes(sub), sub)
    const admin = await cli(['admin', 'bogus'])
    for (const sub of ['pause', 'resume', 'state', 'keygen', 'coordinator', 'key']) assert.ok(admin.stderr.includes(sub), sub)
    const dir = join(await fx.dir(), 'none')
    const groups = Object.entries(SUBCOMMANDS)
    const bogus = await cliAll(groups.map(([group]) => [group, 'bogus']))
    for (const [i, [group, subs]] of groups.entries()) {
      oneLineError(bogus[i], 'InvalidArgumentError', new RegExp(`unknown ${group} subcommand`))
      for (const sub of subs) assert.ok(bogus[i].stderr.includes(sub), `${group}: ${sub}`)
    }
    // and each one listed is dispatched (here it fails later, on the missing data dir or arguments)
    const each = groups.flatMap(([group, subs]) => subs.map(sub => [group, sub, '--data-dir', dir]))
    for (const [i, d] of (await cliAll(each)).entries()) assert.doesNotMatch(d.stderr, /subcommand/, `${each[i].join(' ')}: ${d.stderr}`)
  })

  it('a data dir that was never initialised is reported as such, not as a stopped daemon', async () => {
    const dir = join(await fx.dir(), 'never')
    for (const args of [['status'], ['token', 'list'], ['jobs', 'list'], ['ledger', 'verify']]) {
      oneLineError(await cli([...args, '--data-dir', dir]), 'NotInitialisedError', /is not initialised \(no identity\.key\); run: edgecoder-node init --data-dir/)
    }
    assert.equal(existsSync(dir), false, 'nothing created')
    // positive control: an initialised one without a daemon still says no daemon is running
    const ok = join(await fx.dir(), 'c')
    await cliJson(['init', '--data-dir', ok, '--role', 'coordinator'])
    oneLineError(await cli(['status', '--data-dir', ok]), 'DaemonNotRunningError', /no daemon is running/)
  })

  it('a busy --listen or --http port and a --listen that is not a multiaddr are one line naming the flag', async () => {
    const dir = join(await fx.dir(), 'c')
    await cliJson(['init', '--data-dir', dir, '--role', 'coordinator'])
    oneLineError(await cli(['start', '--data-dir', dir, '--listen', 'garbage']), 'InvalidArgumentError', /--listen "garbage" is not a multiaddr/)
    const held = await holdPort()
    try {
      const busy = await cli(['start', '--data-dir', dir, '--listen', `/ip4/127.0.0.1/tcp/${held.port}`, '--http', '127.0.0.1:0'])
      oneLineError(busy, 'AddressInUseError', new RegExp(`--listen /ip4/127\\.0\\.0\\.1/tcp/${held.port}: address already in use`))
      assert.doesNotMatch(busy.stderr, /faultTolerance/)
      const http = await cli(['start', '--data-dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--http', `127.0.0.1:${held.port}`])
      oneLineError(http, 'AddressInUseError', new RegExp(`--http 127\\.0\\.0\\.1:${held.port}: address already in use`))
    } finally {
      await new Promise(resolve => held.server.close(resolve))
    }
    // the stores may have been created; no daemon was announced
    for (const f of ['api.json', 'bootstrap.json']) assert.equal(existsSync(join(dir, f)), false, f)
    // positive control: the same port, once free, is listened on
    const d = await startDaemon(dir, ['--listen', `/ip4/127.0.0.1/tcp/${held.port}`, '--http', '127.0.0.1:0'])
    daemons.push(d)
    assert.ok((await cliJson<{ multiaddrs: string[] }>(['id', '--data-dir', dir])).multiaddrs.some(m => m.includes(`/tcp/${held.port}`)))
    assert.equal(await stopDaemon(d), 0)
  })

  it('tokens expire in 7 days unless --expires never; a used-up token is listed as used up; operator actions take --admin-key; reconcile on a coordinator prints no undefined', async () => {
    const root = await fx.dir()
    const cdir = join(root, 'coordinator')
    const wdir = join(root, 'worker')
    await cliJson(['init', '--data-dir', cdir, '--role', 'coordinator'])
    await cliJson(['init', '--data-dir', wdir, '--role', 'worker'])
    daemons.push(await startDaemon(cdir, ['--admission', 'token', '--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`]))

    const t0 = Date.now()
    const dflt = await cliJson<{ id: string, token: string, expiresAt: number }>(['token', 'create', '--data-dir', cdir])
    const week = 7 * 86_400_000
    assert.ok(dflt.expiresAt >= t0 + week && dflt.expiresAt <= Date.now() + week, `expires ${new Date(dflt.expiresAt).toISOString()}`)
    const never = await cliJson<{ expiresAt: number }>(['token', 'create', '--data-dir', cdir, '--expires', 'never'])
    assert.equal(never.expiresAt, 0)
    oneLineError(await cli(['token', 'create', '--data-dir', cdir, '--expires', 'soon']), 'InvalidArgumentError', /--expires must be a duration/)
    const usage = await cli(['token', '--help'])
    assert.match(usage.stdout, /--expires DURATION\|never \(default 7d\)/)

    // the default token (one use) is spent by a worker's enrollment
    const w = await startDaemon(wdir, ['--bootstrap', join(cdir, 'bootstrap.json')], { AGENT_REGISTRATION_TOKEN: dflt.token })
    daemons.push(w)
    await waitFor(async () => (await cliJson<Array<{ id: string, uses: number }>>(['token', 'list', '--data-dir', cdir])).some(t => t.id === dflt.id && t.uses === 1), 20_000, 'the enrollment to spend the token')
    const listed = await cliJson<Array<{ id: string, state: string }>>(['token', 'list', '--data-dir', cdir])
    assert.equal(listed.find(t => t.id === dflt.id)?.state, 'used up')
    const text = (await cli(['token', 'list', '--data-dir', cdir])).stdout
    assert.match(text, new RegExp(`^${dflt.id} {2}used up {2}1/1 used`, 'm'))
    assert.match(text, / {2}valid {4}0\/1 used {2}expires never/)
    await stopDaemon(w)

    // admin pause/resume signed with a separate admin key
    const keyFile = join(root, 'ops-admin.key')
    const opsAdmin = (await cliJson<{ peerId: string }>(['admin', 'keygen', '--out', keyFile])).peerId
    const stranger = join(root, 'stranger.key')
    await cliJson(['admin', 'keygen', '--out', stranger])
    oneLineError(await cli(['admin', 'pause', '--admin-key', stranger, '--data-dir', cdir]), 'UnauthorizedAdminError', /./)
    await cliJson(['admin', 'key', 'add', opsAdmin, '--data-dir', cdir])
    const paused = await cli(['admin', 'pause', '--reason', 'maintenance', '--admin-key', keyFile, '--data-dir', cdir])
    assert.equal(paused.code, 0, paused.stderr)
    assert.match(paused.stdout, new RegExp(`applied: OPERATOR .*signed by ${opsAdmin}`))
    assert.equal((await cliJson<{ paused: boolean }>(['status', '--data-dir', cdir])).paused, true)
    const audit = await cliJson<Array<{ kind: string, signer: string, reason: string }>>(['audit', 'list', '--data-dir', cdir])
    assert.deepEqual(audit.filter(r => r.kind === 'OPERATOR').map(r => [r.signer, r.reason]), [[opsAdmin, 'maintenance']])
    assert.equal((await cli(['admin', 'resume', '--admin-key', keyFile, '--data-dir', cdir])).code, 0)
    assert.equal((await cliJson<{ paused: boolean }>(['status', '--data-dir', cdir])).paused, false)
    oneLineError(await cli(['admin', 'state', '--admin-key', keyFile, '--data-dir', cdir]), 'InvalidArgumentError', /--admin-key goes with admin pause and resume/)

    const rec = await cli(['ledger', 'reconcile', '--data-dir', cdir])
    assert.equal(rec.code, 0, rec.stderr)
    assert.doesNotMatch(rec.stdout, /undefined/)
    assert.match(rec.stdout, /: verified at \d+ entries\n$/)
    const all = await cli(['ledger', 'reconcile', '--all', '--data-dir', cdir])
    assert.equal(all.stdout, rec.stdout)
    const verify = await cli(['ledger', 'verify', '--all', '--data-dir', cdir])
    assert.equal(verify.code, 0, verify.stderr)
    assert.match(verify.stdout, /^\S+: ok: \d+ entries, root \S+ matches the signed checkpoint\n$/)
  })
})
