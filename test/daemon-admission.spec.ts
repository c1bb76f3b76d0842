// Admission as operators run it: daemons in separate processes, the contributor's token in
// AGENT_REGISTRATION_TOKEN (as in the runbook), approvals, blacklist and the audit log from the CLI.
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Fixture, waitFor, freePort } from './helpers.js'
import { cli, cliJson, gatedConnections, metric, startDaemon, stopDaemon, type Daemon } from './cli-helpers.js'
import { Protocols } from '../src/wire/domains.js'

interface JobJson { id: string, state: string, attempts: Array<{ worker: string }> }

describe('admission from the CLI, across processes', function () {
  this.timeout(180_000)
  const fx = new Fixture()
  const daemons: Daemon[] = []
  after(async () => {
    for (const d of daemons) await stopDaemon(d, 'SIGKILL')
    await fx.cleanup()
  })

  it('token create → enroll with AGENT_REGISTRATION_TOKEN → pending, no work → nodes approve → work; blacklist cuts it off; audit verifies', async () => {
    const root = await fx.dir()
    const cdir = join(root, 'coordinator')
    const wdir = join(root, 'worker')
    await cliJson(['init', '--data-dir', cdir, '--role', 'coordinator'])
    await cliJson(['init', '--data-dir', wdir, '--role', 'worker'])
    const port = await freePort()
    daemons.push(await startDaemon(cdir, ['--role', 'coordinator', '--admission', 'token', '--listen', `/ip4/127.0.0.1/tcp/${port}`]))
    const boot = join(cdir, 'bootstrap.json')

    // a malformed token: one clear line, non-zero exit, nothing started
    const before = await readdir(wdir)
    const bad = await cli(['start', '--data-dir', wdir, '--bootstrap', boot], { env: { AGENT_REGISTRATION_TOKEN: 'not-a-token' } })
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /registration token is malformed/)
    assert.equal(bad.stderr.trim().split('\n').length, 1)
    assert.deepEqual(await readdir(wdir), before, 'no change to the data dir')

    const created = await cliJson<{ token: string, id: string, maxUses: number }>(['token', 'create', '--data-dir', cdir, '--label', 'lab machine', '--expires', '1h'])
    assert.match(created.token, /^ect_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/)
    const listed = await cliJson<Array<{ id: string, label: string, uses: number, hash?: string }>>(['token', 'list', '--data-dir', cdir])
    assert.deepEqual(listed.map(t => [t.id, t.label, t.uses, t.hash]), [[created.id, 'lab machine', 0, undefined]], 'only a hash is kept, and never shown')

    const w = await startDaemon(wdir, ['--role', 'worker', '--bootstrap', boot], { AGENT_REGISTRATION_TOKEN: created.token })
    daemons.push(w)
    const workerId = (await cliJson<{ peerId: string }>(['id', '--data-dir', wdir])).peerId
    await waitFor(async () => (await cliJson<Array<{ peerId: string }>>(['nodes', 'list', '--pending', '--data-dir', cdir])).some(n => n.peerId === workerId), 20_000, 'pending enrollment')
    const status = await cliJson<{ workers: { awaitingApproval: string[] } }>(['status', '--data-dir', cdir])
    assert.deepEqual(status.workers.awaitingApproval, [workerId], '/status shows who waits for approval')
    const { id: jobId } = await cliJson<{ id: string }>(['jobs', 'submit', '--data-dir', cdir, '--executor', 'noop', '--input', 'needs approval'])
    // the positive control: once the job is queued the pending worker does ask for work (it hears the
    // job announced) and its claim is refused as not admitted; an assignment would have been that answer
    const refusedClaims = async (): Promise<number> => await metric(cdir, 'edgecoder_rpc_rejected_total', `${Protocols.claim} NotAdmittedError`)
    const refusedBefore = await refusedClaims()
    const stateOf = async (id: string): Promise<string> => (await cliJson<JobJson>(['jobs', 'status', id, '--data-dir', cdir])).state
    await waitFor(async () => await refusedClaims() > refusedBefore || await stateOf(jobId) !== 'queued', 20_000, 'the pending worker\'s claim to be refused')
    assert.equal(await stateOf(jobId), 'queued', 'a pending node gets no work')

    const approved = await cliJson<{ effect: string, kind: string }>(['nodes', 'approve', workerId, '--data-dir', cdir, '--reason', 'known contributor'])
    assert.deepEqual([approved.kind, approved.effect], ['APPROVE', 'applied'])
    await waitFor(async () => (await cliJson<JobJson>(['jobs', 'status', jobId, '--data-dir', cdir])).state === 'succeeded', 30_000, 'the job to run once approved')
    assert.ok((await cliJson<Array<{ peerId: string }>>(['nodes', 'list', '--active', '--data-dir', cdir])).some(n => n.peerId === workerId))

    // blacklist: the coordinator drops the worker and keeps it out
    const black = await cli(['nodes', 'blacklist', 'add', workerId, '--data-dir', cdir])
    assert.equal(black.code, 1)
    assert.match(black.stderr, /--reason is required/)
    await cliJson(['nodes', 'blacklist', 'add', workerId, '--reason', 'returned forged results', '--data-dir', cdir])
    await waitFor(async () => !(await cliJson<Array<{ peerId: string }>>(['peers', '--data-dir', cdir])).some(p => p.peerId === workerId), 20_000, 'worker disconnected')
    const bl = await cliJson<Array<{ peerId: string, reason: string }>>(['nodes', 'blacklist', 'list', '--data-dir', cdir])
    assert.deepEqual(bl.map(b => [b.peerId, b.reason]), [[workerId, 'returned forged results']])
    const { id: second } = await cliJson<{ id: string }>(['jobs', 'submit', '--data-dir', cdir, '--executor', 'noop', '--input', 'not for the blacklisted'])
    // the positive control: once the job is queued the worker does dial back (its bootstrap dialer)
    // and is turned away at the gate; let in, it would have claimed the job
    const gatedBefore = await gatedConnections(cdir)
    const connected = async (): Promise<boolean> => (await cliJson<Array<{ peerId: string }>>(['peers', '--data-dir', cdir])).some(p => p.peerId === workerId)
    await waitFor(async () => await gatedConnections(cdir) > gatedBefore || await connected(), 20_000, 'the blacklisted worker to be turned away')
    assert.equal(await stateOf(second), 'queued')
    assert.equal(await connected(), false, 'it stays out (the worker redials its bootstrap peer)')

    // an action signed with a key the coordinator does not hold as admin is refused
    const outsider = join(root, 'outsider.key')
    await cliJson(['admin', 'keygen', '--out', outsider])
    const refused = await cli(['nodes', 'blacklist', 'remove', workerId, '--admin-key', outsider, '--data-dir', cdir])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /UnauthorizedAdminError|not an admin key/)

    const audit = await cliJson<Array<{ seq: number, kind: string, signer: string }>>(['audit', 'list', '--data-dir', cdir])
    // the coordinator created the mesh: its grant of itself comes first; then its own account,
    // approved by its own key when its first job needed the welcome grant
    assert.deepEqual(audit.map(a => [a.kind, a.signer === audit[0].signer]), [['coordinator-grant', true], ['APPROVE', true], ['APPROVE', true], ['BLACKLIST_ADD', true]])
    assert.deepEqual(audit.map(a => (a as unknown as { target: string }).target).slice(0, 3), [audit[0].signer, audit[0].signer, workerId])
    const verified = await cli(['audit', 'verify', '--data-dir', cdir])
    assert.equal(verified.code, 0, verified.stderr)
    assert.match(verified.stdout, /^ok: 4 actions/)
  })

  it('a client enrolls like a worker (init --role client, AGENT_REGISTRATION_TOKEN): refused while pending, its jobs accepted once approved', async () => {
    const root = await fx.dir()
    const cdir = join(root, 'coordinator')
    const kdir = join(root, 'client')
    const wdir = join(root, 'worker')
    await cliJson(['init', '--data-dir', cdir, '--role', 'coordinator'])
    await cliJson(['init', '--data-dir', kdir, '--role', 'client'])
    await cliJson(['init', '--data-dir', wdir, '--role', 'worker'])
    daemons.push(await startDaemon(cdir, ['--role', 'coordinator', '--admission', 'token', '--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`]))
    const boot = join(cdir, 'bootstrap.json')
    const workerToken = await cliJson<{ token: string }>(['token', 'create', '--data-dir', cdir, '--auto-approve'])
    daemons.push(await startDaemon(wdir, ['--bootstrap', boot], { AGENT_REGISTRATION_TOKEN: workerToken.token }))
    const { token } = await cliJson<{ token: string }>(['token', 'create', '--data-dir', cdir, '--label', 'app user'])
    daemons.push(await startDaemon(kdir, ['--bootstrap', boot], { AGENT_REGISTRATION_TOKEN: token }))
    const clientId = (await cliJson<{ peerId: string }>(['id', '--data-dir', kdir])).peerId
    await waitFor(async () => (await cliJson<Array<{ peerId: string, role?: string }>>(['nodes', 'list', '--pending', '--data-dir', cdir])).some(n => n.peerId === clientId && n.role === 'client'), 20_000, 'the client pending in nodes list')
    const early = await cli(['jobs', 'submit', '--data-dir', kdir, '--executor', 'noop', '--input', 'too early'])
    assert.equal(early.code, 1)
    assert.match(early.stderr, /\[NotAdmittedError\]/)
    await cliJson(['nodes', 'approve', clientId, '--data-dir', cdir])
    const { id } = await cliJson<{ id: string }>(['jobs', 'submit', '--data-dir', kdir, '--executor', 'noop', '--input', 'admitted'])
    await waitFor(async () => (await cliJson<JobJson>(['jobs', 'status', id, '--data-dir', kdir])).state === 'succeeded', 30_000, 'the client\'s job to run')
    const { balances } = await cliJson<{ balances: Record<string, string> }>(['ledger', 'balance', '--data-dir', cdir])
    assert.ok(BigInt(balances[clientId] ?? '0') > 0n, 'the approved client was granted credits')
  })
})
