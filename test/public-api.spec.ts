// The package's public surface (src/index.ts, src/node/node.ts): interfaces and plain views only,
// progress events on submit and wait, `signal` that aborts the start, and the `audit` sub-path that
// runs on Node 20 without loading libp2p.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import * as pkg from '../src/index.js'
import { createNode, type Node } from '../src/index.js'
import * as errors from '../src/errors/index.js'
// open admission grants no welcome credits unless the policy is given explicitly
import { DEFAULT_POLICY } from '../src/ledger/policy.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const MESH = 'edgecoder-public-api'

// the members a Node has: anything else would be a leak of the runtime behind it
const NODE_MEMBERS = ['admission', 'bootstrapConfig', 'events', 'executors', 'jobs', 'ledger', 'libp2p', 'meshId', 'multiaddrs', 'peerId', 'role', 'stop']

function isClass (v: unknown): boolean {
  return typeof v === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(v))
}

describe('public API', function () {
  this.timeout(120_000)
  const nodes: Node[] = []
  const dirs: string[] = []
  const dir = async (): Promise<string> => { const d = await mkdtemp(join(tmpdir(), 'edgecoder-api-')); dirs.push(d); return d }
  after(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
    await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  it('the package exports no class but the error classes, and every error class of the runtime', () => {
    const classes = Object.entries(pkg).filter(([, v]) => isClass(v))
    for (const [name, v] of classes) {
      assert.ok((v as { prototype: unknown }).prototype instanceof errors.EdgecoderError || v === errors.EdgecoderError, `${name} is a class that is not an error`)
    }
    for (const [name, v] of Object.entries(errors)) {
      if (isClass(v)) assert.equal((pkg as Record<string, unknown>)[name], v, `${name} is not exported by the package`)
    }
    // positive control: the check sees classes at all
    assert.ok(classes.length > 60)
  })

  it('a node has only the documented members; jobs come back as plain JSON views; submit and wait report typed progress', async () => {
    const coordinator = await createNode({ role: 'coordinator', meshId: MESH, dataDir: await dir(), coordinator: { admission: { mode: 'open' }, policy: DEFAULT_POLICY } })
    nodes.push(coordinator)
    const worker = await createNode({ role: 'worker', bootstrap: coordinator.bootstrapConfig(), dataDir: await dir(), worker: { slots: 1 } })
    nodes.push(worker)
    const client = await createNode({ role: 'client', bootstrap: coordinator.bootstrapConfig(), dataDir: await dir() })
    nodes.push(client)
    assert.deepEqual(Object.keys(client).sort(), NODE_MEMBERS)
    assert.ok(!('signer' in client) && !('stores' in client) && !('coordinator' in client))
    assert.deepEqual([...worker.executors].sort(), ['noop', 'wasm'])

    // a client with no credits: refused by the coordinator, and told so as it happens
    const refused: string[] = []
    await assert.rejects(client.jobs.submit({ executor: 'noop', input: 'hello' }, { onProgress: e => { refused.push(e.type === 'edgecoder:submit:refused' ? `refused ${e.detail.error}` : e.type) } }),
      (e: Error) => e.name === 'InsufficientCreditsError')
    assert.deepEqual(refused, ['edgecoder:submit:signed', 'edgecoder:submit:sending', 'refused InsufficientCreditsError'])
    // the coordinator's own account is admitted and credited: its submit is accepted
    const submitted: string[] = []
    const id = await coordinator.jobs.submit({ executor: 'noop', input: 'hello' }, { onProgress: e => { submitted.push(e.type) } })
    assert.deepEqual(submitted, ['edgecoder:submit:signed', 'edgecoder:submit:sending', 'edgecoder:submit:accepted'])
    const states: string[] = []
    const done = await coordinator.jobs.wait(id, { timeoutMs: 30_000, onProgress: e => { assert.equal(e.type, 'edgecoder:wait:state'); states.push(e.detail.state) } })
    assert.equal(done.state, 'succeeded')
    assert.equal(new TextDecoder().decode(done.output), 'hello')
    assert.equal(states.at(-1), 'succeeded')
    const status = await coordinator.jobs.status(id)
    assert.deepEqual(JSON.parse(JSON.stringify(status)), status, 'a status is a plain JSON view')
    assert.equal(status.id, id)
  })

  it('an aborted signal fails the start with its reason and leaves nothing behind; a signal aborted after the start does not stop the node', async () => {
    const d = await dir()
    const controller = new AbortController()
    controller.abort(new Error('changed my mind'))
    await assert.rejects(createNode({ role: 'coordinator', meshId: MESH, dataDir: d, signal: controller.signal }), (e: Error) => e.message === 'changed my mind')
    // nothing holds the data dir: the same dir opens at once
    const later = new AbortController()
    const node = await createNode({ role: 'coordinator', meshId: MESH, dataDir: d, signal: later.signal })
    nodes.push(node)
    later.abort()
    const client = await createNode({ role: 'client', bootstrap: node.bootstrapConfig(), dataDir: await dir() })
    nodes.push(client)
    // the node still works after its start signal was aborted
    await client.libp2p.dial(node.multiaddrs()[0])
    assert.equal(node.libp2p.status, 'started')
  })

  it('`edgecoder-node/audit` and `edgecoder-node/errors` load on the machine\'s Node 20 without libp2p, and check a real checkpoint', async () => {
    const old = await promisify(execFile)('/usr/bin/node', ['--version']).then(r => r.stdout.trim(), () => '')
    assert.match(old, /^v20\./, 'the machine ships Node 20 at /usr/bin/node: the audit entry is checked with it')
    const { signNote, formatCheckpoint, noteVerifierKey } = await import('../src/ledger/merkle/checkpoint.js')
    const { generateKeyPair } = await import('@libp2p/crypto/keys')
    const key = await generateKeyPair('Ed25519')
    const name = 'edgecoder/test/log'
    const root = new Uint8Array(32).fill(7)
    const note = await signNote(formatCheckpoint({ origin: name, size: 1, rootHash: root }), name, key)
    const vkey = noteVerifierKey(name, key.publicKey.raw)
    const d = await dir()
    // a loader hook that records every package this run resolves
    const hooks = join(d, 'hooks.mjs')
    await writeFile(hooks, 'export async function resolve (spec, ctx, next) { if (!spec.startsWith(".") && !spec.startsWith("node:") && !spec.startsWith("file:")) console.log("pkg " + spec); return next(spec, ctx) }\n')
    // inside the package, so `edgecoder-node/...` resolves to this package itself
    const script = join(ROOT, 'dist', 'audit-probe.mjs')
    await writeFile(script, [
      "import { register } from 'node:module'",
      `register(${JSON.stringify(pathToFileURL(hooks).href)})`,
      "const audit = await import('edgecoder-node/audit')",
      "const errs = await import('edgecoder-node/errors')",
      `const r = audit.auditCheckpoint(${JSON.stringify(note)}, ${JSON.stringify(vkey)})`,
      "console.log('size ' + r.size)",
      "try { audit.auditCheckpoint('garbage', " + JSON.stringify(vkey) + ") } catch (e) { console.log('bad ' + e.name + ' ' + (e instanceof errs.EdgecoderError)) }"
    ].join('\n'))
    try {
      const r = await promisify(execFile)('/usr/bin/node', [script], { cwd: ROOT })
      const lines = r.stdout.trim().split('\n')
      assert.ok(lines.includes('size 1'), r.stdout)
      assert.ok(lines.some(l => /^bad Malformed\w+Error true$/.test(l)), r.stdout)
      const packages = lines.filter(l => l.startsWith('pkg ')).map(l => l.slice(4))
      // positive control: the hook sees the package's own sub-path imports
      assert.ok(packages.includes('edgecoder-node/audit'), r.stdout)
      assert.deepEqual(packages.filter(p => /libp2p|@chainsafe|@multiformats/.test(p)), [])
    } finally {
      await rm(script, { force: true })
    }
  })
})
