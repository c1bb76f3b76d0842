// The books from the command line, across processes: `policy show` prints the policy in force,
// `ledger entries` shows policy entries, `jobs submit --wait` shows progress, gives up after
// --timeout saying where the job is (or cancels it), and `ledger balance` on a client is its wallet.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { Fixture, freePort, waitFor } from './helpers.js'
import { cli, cliJson, startDaemon, stopDaemon, type Daemon } from './cli-helpers.js'
import type { PolicyShowJson } from '../src/api/policy-view.js'
import type { WalletJson } from '../src/ledger/wallet.js'

describe('the books from the CLI: policy show, entries, submit --wait, the wallet', function () {
  this.timeout(240_000)
  const fx = new Fixture()
  const daemons: Daemon[] = []
  let cdir = ''
  let wdir = ''
  after(async () => {
    for (const d of daemons) await stopDaemon(d, 'SIGKILL')
    await fx.cleanup()
  })

  before(async () => {
    cdir = await fx.dir()
    wdir = await fx.dir()
    await cliJson(['init', '--data-dir', cdir, '--role', 'coordinator'])
    daemons.push(await startDaemon(cdir, ['--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`]))
    await cliJson(['init', '--data-dir', wdir, '--role', 'worker', '--bootstrap', join(cdir, 'bootstrap.json')])
  })

  it('policy show prints prices, fee and its rounding, demand, issuance, welcome grant and allow-lists; ledger entries shows the policy entries', async () => {
    const set = await cli(['policy', 'set', 'allowedExecutors', '["noop","process"]', '--data-dir', cdir])
    assert.equal(set.code, 0, set.stderr)
    const text = await cli(['policy', 'show', '--data-dir', cdir])
    assert.equal(text.code, 0, text.stderr)
    for (const want of [/allowed executors: noop, process/, /allowed modules: +any/, /prices: +noop 20, wasm 100, process 100, any other 100 credits per job/,
      /fee: +500 bps \(5%\) to the coordinator, carry rounding/, /demand: +\+100 bps \(1%\) .* at most \+20000 bps/, /issuance: +20000 credits every 1m/, /welcome grant: +20000 credits/]) {
      assert.match(text.stdout, want)
    }
    const json = await cliJson<PolicyShowJson>(['policy', 'show', '--data-dir', cdir])
    assert.deepEqual(json.allowedExecutors, ['noop', 'process'])
    assert.equal(json.ledgers[0].feeRounding, 'carry')
    assert.equal(json.ledgers[0].prices.noop, '20')
    // the admin-set values as before (scripts read policy.welcomeGrant to see whether an admin set it)
    assert.equal(json.policy.welcomeGrant, 20000)
    // `policy set welcomeGrant` (by the test helper) is a POLICY entry after the genesis one
    await waitFor(async () => (await cli(['ledger', 'entries', '--data-dir', cdir])).stdout.split('\n').filter(l => / policy /.test(l)).length >= 2, 15_000, 'both policy entries checkpointed')
    const entries = (await cli(['ledger', 'entries', '--data-dir', cdir])).stdout
    assert.match(entries, /^ +0 +\S+ +policy +prices noop=20 wasm=100 process=100 \*=100; fee 500 bps \(carry\); demand \+100 bps\/job, cap 20000 bps; issuance 20000 per 60000 ms; welcome 0 +\(genesis policy\)$/m)
    assert.match(entries, /policy +prices .* welcome 20000 +\(policy welcomeGrant set by an admin\)$/m)
  })

  it('jobs submit --wait --timeout gives up saying the job is still queued, and it is; --cancel-on-timeout cancels it', async () => {
    // no worker yet: the job cannot start
    const r = await cli(['jobs', 'submit', '--data-dir', cdir, '--executor', 'noop', '--input', 'patience', '--wait', '--timeout', '1500ms'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /gave up waiting after 1500 ms: job ([0-9a-f]{64}) is still queued \(no worker has taken it yet\); it keeps its place in the queue.*\[WaitTimeoutError\]/)
    const id = /job ([0-9a-f]{64})/.exec(r.stderr)?.[1] ?? ''
    assert.equal((await cliJson<{ state: string }>(['jobs', 'status', id, '--data-dir', cdir])).state, 'queued')
    const bad = await cli(['jobs', 'submit', '--data-dir', cdir, '--executor', 'noop', '--timeout', '2s'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /--timeout, --cancel-on-timeout and --progress go with --wait .*\[InvalidArgumentError\]/)
    // a worker comes: the job left waiting runs (it was queued, not lost)
    daemons.push(await startDaemon(wdir, ['--allow-command', 'sleep']))
    await waitFor(async () => (await cliJson<{ state: string }>(['jobs', 'status', id, '--data-dir', cdir])).state === 'succeeded', 30_000, 'the job left waiting to run')
    // a noop that takes a minute: cancelled (on its worker) on giving up
    const c = await cli(['jobs', 'submit', '--data-dir', cdir, '--executor', 'noop', '--delay-ms', '60000', '--wait', '--timeout', '1s', '--cancel-on-timeout', '--json'])
    assert.equal(c.code, 1)
    assert.match(c.stderr, /gave up waiting after 1000 ms and cancelled job [0-9a-f]{64} \(it was running on 12D3\S+ \(attempt 1 of 3\)\); its held credits are released \[WaitTimeoutError\]/)
    const shown = JSON.parse(c.stdout) as { id: string, state: string, timedOut: boolean }
    assert.deepEqual([shown.state, shown.timedOut], ['cancelled', true])
    assert.equal((await cliJson<{ state: string }>(['jobs', 'status', shown.id, '--data-dir', cdir])).state, 'cancelled')
  })

  it('jobs submit --wait --progress shows queued, assigned to the worker, running, succeeded; the output is on stdout', async () => {
    const worker = (await cliJson<{ peerId: string }>(['id', '--data-dir', wdir])).peerId
    const r = await cli(['jobs', 'submit', '--data-dir', cdir, '--executor', 'process', '--arg', 'sleep', '--arg', '2', '--wait', '--progress'])
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stderr.trim().split('\n').map(l => l.replace(/^\[ *[\d.]+s\] /, ''))
    assert.match(lines[0], /^submitted [0-9a-f]{64}$/)
    // every state the job went through, even those between two polls
    assert.deepEqual(lines.slice(1).map(l => l.replace(worker, 'W')), ['queued, waiting for a worker (up to 3 attempts)', 'assigned to W (attempt 1 of 3)', 'running on W', 'succeeded on W', 'result: exit 0, 0 bytes of output'])
    assert.match(r.stdout, /succeeded\s+process[\s\S]*--- output ---/)
  })

  it("ledger balance on a client is its wallet: unverified from the first second, then held credits and what is available", async () => {
    const kdir = await fx.dir()
    await cliJson(['init', '--data-dir', kdir, '--role', 'client', '--bootstrap', join(cdir, 'bootstrap.json')])
    const token = (await cli(['token', 'create', '--auto-approve', '--data-dir', cdir])).stdout.trim()
    daemons.push(await startDaemon(kdir, ['--token', token]))
    const first = await cli(['ledger', 'balance', '--data-dir', kdir])
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stdout, /^account 12D3\S+\nat coordinator 12D3\S+:\n  balance +0  UNVERIFIED: the coordinator's figure/)
    await waitFor(async () => (await cli(['jobs', 'submit', '--data-dir', kdir, '--executor', 'noop', '--delay-ms', '120000'])).code === 0, 20_000, 'the client to be admitted')
    const w = await cliJson<WalletJson>(['ledger', 'balance', '--data-dir', kdir])
    assert.deepEqual([w.logs[0].balance, w.logs[0].held, w.logs[0].heldJobs, w.logs[0].available], ['20000', '20', 1, '19980'])
    const text = (await cli(['ledger', 'balance', '--data-dir', kdir])).stdout
    assert.match(text, /  held +20  for 1 queued or running job\n  available +19980$/m)
    // --all: every account of the verified replica, as before
    await waitFor(async () => (await cli(['ledger', 'balance', '--all', '--data-dir', kdir])).code === 0, 20_000, 'a verified replica')
  })
})
