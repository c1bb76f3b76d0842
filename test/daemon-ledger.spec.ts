// The ledger as users meet it: two daemons in separate processes, driven by the CLI. What the CLI
// prints is checked by the offline `ledger audit` and, where it is built, by Go's reference code.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Level } from 'level'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Fixture, waitFor, freePort } from './helpers.js'
import { cli, cliJson, startDaemon, stopDaemon, type Daemon } from './cli-helpers.js'
import { MerkleLog } from '../src/ledger/merkle/merkle-log.js'
import { formatCheckpoint, parseCheckpoint, signNote } from '../src/ledger/merkle/checkpoint.js'
import { loadKeyFile } from '../src/identity/key-file.js'
import { DataDirFiles } from '../src/identity/data-dir.js'
import type { EntryJson } from '../src/api/ledger-view.js'

interface Receipt { jobId: string, proven?: { index: number } }
interface Proof { index: number, treeSize: number, leaf: string, hashes: string[] }
interface Consistency { from: number, to: number, fromRoot: string, hashes: string[] }

const GO_VERIFIER = fileURLToPath(new URL('../../test/interop/bin/verify-go', import.meta.url))

function noteBody (note: string): { origin: string, size: number, root: string } {
  const cp = parseCheckpoint(note.slice(0, note.indexOf('\n\n') + 1))
  return { origin: cp.origin, size: cp.size, root: Buffer.from(cp.rootHash).toString('base64') }
}

describe('ledger across two daemons, checked from the CLI', function () {
  this.timeout(240_000)
  const fx = new Fixture()
  const daemons: Daemon[] = []
  after(async () => {
    for (const d of daemons) await stopDaemon(d, 'SIGKILL')
    await fx.cleanup()
  })

  async function submitAndWait (cdir: string, n: number, tag: string): Promise<string[]> {
    const ids: string[] = []
    for (let i = 0; i < n; i++) ids.push((await cliJson<{ id: string }>(['jobs', 'submit', '--data-dir', cdir, '--executor', 'noop', '--input', `${tag}-${i}`])).id)
    await waitFor(async () => {
      const done = await cliJson<Array<{ id: string }>>(['jobs', 'list', '--data-dir', cdir, '--state', 'succeeded'])
      return ids.every(id => done.some(j => j.id === id))
    }, 60_000, `${tag} jobs to succeed`)
    return ids
  }

  /** The coordinator's checkpoint once it covers the settlement of every job in `ids`. */
  async function checkpointCovering (cdir: string, ids: string[]): Promise<string> {
    let note = ''
    await waitFor(async () => {
      note = (await cli(['ledger', 'checkpoint', '--data-dir', cdir])).stdout
      const { size } = noteBody(note)
      const { entries } = await cliJson<{ entries: EntryJson[] }>(['ledger', 'entries', '--data-dir', cdir, '--limit', '10000'])
      return ids.every(id => entries.some(e => e.settlement?.jobId === id && e.index < size))
    }, 30_000, 'a checkpoint covering the settlements')
    return note
  }

  it('checkpoint, proof and consistency verify independently; the worker proves its receipts; forgeries and tampering are reported; balances add up', async () => {
    const root = await fx.dir()
    const cdir = join(root, 'coordinator')
    const wdir = join(root, 'worker')
    await cliJson(['init', '--data-dir', cdir, '--role', 'coordinator'])
    await cliJson(['init', '--data-dir', wdir, '--role', 'worker'])
    const port = await freePort()
    daemons.push(await startDaemon(cdir, ['--role', 'coordinator', '--listen', `/ip4/127.0.0.1/tcp/${port}`]))
    let worker = await startDaemon(wdir, ['--role', 'worker', '--bootstrap', join(cdir, 'bootstrap.json')])
    daemons.push(worker)
    const coordId = await cliJson<{ peerId: string, noteKey: string }>(['id', '--data-dir', cdir])
    assert.match(coordId.noteKey, /^edgecoder\/[^+\s]+\/12D3Koo[1-9A-HJ-NP-Za-km-z]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/)
    const workerId = (await cliJson<{ peerId: string }>(['id', '--data-dir', wdir])).peerId

    // a first batch, and the checkpoint that covers it
    const first = await submitAndWait(cdir, 3, 'first')
    const noteA = await checkpointCovering(cdir, first)
    const a = noteBody(noteA)
    assert.equal(a.origin, coordId.noteKey.split('+')[0])
    // a second batch and a newer checkpoint
    const second = await submitAndWait(cdir, 4, 'second')
    const noteB = await checkpointCovering(cdir, second)
    const b = noteBody(noteB)
    assert.ok(b.size > a.size)

    // the CLI's proofs, against the newer checkpoint
    const { entries } = await cliJson<{ entries: EntryJson[] }>(['ledger', 'entries', '--data-dir', cdir, '--limit', '10000'])
    const settlements = entries.filter(e => e.settlement != null && e.index < b.size)
    assert.equal(settlements.length, first.length + second.length, 'one settlement per job')
    const proofs: Proof[] = []
    for (const e of [settlements[0], settlements[settlements.length - 1]]) {
      const p = await cliJson<Proof>(['ledger', 'proof', '--data-dir', cdir, '--index', String(e.index), '--tree-size', String(b.size)])
      assert.deepEqual(Object.keys(p).sort(), ['hashes', 'index', 'leaf', 'treeSize'])
      assert.equal(p.leaf, e.leaf)
      proofs.push(p)
    }
    const cons = await cliJson<Consistency>(['ledger', 'consistency', '--data-dir', cdir, '--from', String(a.size), '--to', String(b.size)])
    assert.equal(cons.fromRoot, a.root, 'the consistency proof starts from the root the older checkpoint signed')

    // offline audit: files, as a contributor would keep them
    const files = { a: join(root, 'a.note'), b: join(root, 'b.note'), p0: join(root, 'p0.json'), p1: join(root, 'p1.json'), c: join(root, 'c.json') }
    await writeFile(files.a, noteA)
    await writeFile(files.b, noteB)
    await writeFile(files.p0, JSON.stringify(proofs[0]))
    await writeFile(files.p1, JSON.stringify(proofs[1]))
    await writeFile(files.c, JSON.stringify(cons))
    const audit = await cliJson<{ ok: boolean, size: number, proofs: unknown[] }>(['ledger', 'audit', '--checkpoint', files.b, '--key', coordId.noteKey, '--proof', files.p0, '--proof', files.p1, '--proof', files.c])
    assert.equal(audit.ok, true)
    assert.equal(audit.size, b.size)
    assert.equal(audit.proofs.length, 3)
    // a proof against the wrong checkpoint, or an altered one, fails the audit with a clear line
    const wrongCp = await cli(['ledger', 'audit', '--checkpoint', files.a, '--key', coordId.noteKey, '--proof', files.p0])
    assert.equal(wrongCp.code, 1)
    assert.match(wrongCp.stderr, /ProofMismatchError|tree size/)
    await writeFile(files.p0, JSON.stringify({ ...proofs[0], index: proofs[0].index + 1 }))
    const altered = await cli(['ledger', 'audit', '--checkpoint', files.b, '--key', coordId.noteKey, '--proof', files.p0])
    assert.equal(altered.code, 1)
    assert.match(altered.stderr, /not included/)

    // Go's golang.org/x/mod/sumdb/note and sumdb/tlog, on the very same outputs
    if (existsSync(GO_VERIFIER)) {
      const goProofs = [
        ...proofs.map(p => ({ kind: 'inclusion', index: p.index, entry: p.leaf, proof: p.hashes })),
        { kind: 'consistency', oldSize: cons.from, oldRoot: cons.fromRoot, proof: cons.hashes }
      ]
      const r = spawnSync(GO_VERIFIER, [], { input: JSON.stringify({ note: noteB, verifierKey: coordId.noteKey, proofs: goProofs }), encoding: 'utf8', timeout: 30_000 })
      assert.equal(r.status, 0, r.stderr)
      assert.deepEqual(JSON.parse(r.stdout), { ok: true, origin: b.origin, size: b.size, root: b.root, signatures: 1, proofs: 3 })
    } else {
      console.log('      (Go verifier not built: scripts/install-go-verifier.sh; checked by `ledger audit` only)')
    }

    // the worker: its replica reaches the checkpoint, its receipts are proven, verify passes
    const all = [...first, ...second]
    await waitFor(async () => {
      await cli(['ledger', 'reconcile', '--data-dir', wdir])
      const receipts = await cliJson<Receipt[]>(['ledger', 'receipts', '--data-dir', wdir])
      return all.every(id => receipts.some(r => r.jobId === id && r.proven != null))
    }, 60_000, 'the worker to prove every receipt')
    const verified = await cli(['ledger', 'verify', '--data-dir', wdir])
    assert.equal(verified.code, 0, verified.stderr)
    assert.match(verified.stdout, /^ok: /)

    // balances add up, on the coordinator and on the worker's replica alike
    for (const s of settlements) {
      const st = s.settlement as NonNullable<EntryJson['settlement']>
      const deltas = s.postings.map(p => BigInt(p.delta))
      assert.equal(deltas.reduce((x, y) => x + y, 0n), 0n, `entry ${s.index} sums to zero`)
      const debit = -deltas.filter(d => d < 0n).reduce((x, y) => x + y, 0n)
      const credit = BigInt(s.postings.find(p => p.account === st.worker)?.delta ?? '0')
      assert.equal(st.worker, workerId)
      assert.equal(debit, credit + BigInt(st.fee), `entry ${s.index}: debit = credit + fee`)
      assert.ok(BigInt(st.price) > 0n)
    }
    const coordBalances = (await cliJson<{ balances: Record<string, string> }>(['ledger', 'balance', '--data-dir', cdir])).balances
    assert.equal(Object.values(coordBalances).reduce((x, v) => x + BigInt(v), 0n), 0n, 'all balances, the mint included, sum to zero')
    const workerBalance = await cliJson<{ balance: string }>(['ledger', 'balance', workerId, '--data-dir', wdir])
    assert.equal(BigInt(workerBalance.balance), settlements.reduce((x, s) => x + BigInt(s.postings.find(p => p.account === workerId)?.delta ?? '0'), 0n))

    // forged checkpoints are refused, and leave no evidence (a bad signature proves nothing)
    const forged = noteB.replace(`\n${b.size}\n`, `\n${b.size + 5}\n`)
    await writeFile(join(root, 'forged.note'), forged)
    for (const args of [['ledger', 'submit-checkpoint', join(root, 'forged.note'), '--data-dir', wdir], ['ledger', 'audit', '--checkpoint', join(root, 'forged.note'), '--key', coordId.noteKey]]) {
      const r = await cli(args)
      assert.equal(r.code, 1, args.join(' '))
      assert.match(r.stderr, /InvalidNoteSignatureError|signature/)
      assert.equal(r.stderr.trim().split('\n').length, 1)
    }
    const stranger = await generateKeyPair('Ed25519')
    const impostor = await signNote(formatCheckpoint({ origin: b.origin, size: b.size + 1, rootHash: new Uint8Array(32) }), b.origin, stranger)
    await writeFile(join(root, 'impostor.note'), impostor)
    const imp = await cli(['ledger', 'submit-checkpoint', join(root, 'impostor.note'), '--data-dir', wdir])
    assert.equal(imp.code, 1)
    assert.match(imp.stderr, /UnknownNoteKeyError|no signature by a known key|not signed/i)
    assert.deepEqual(await cliJson<unknown[]>(['ledger', 'evidence', '--data-dir', wdir]), [])

    // a checkpoint truly signed by the coordinator's key that contradicts the one held: a fork,
    // stored as evidence with both signed notes, and the command fails loudly
    const coordKey = await loadKeyFile(cdir)
    const fork = await signNote(formatCheckpoint({ origin: a.origin, size: a.size, rootHash: new Uint8Array(32).fill(7) }), a.origin, coordKey)
    await writeFile(join(root, 'fork.note'), fork)
    const forkRun = await cli(['ledger', 'submit-checkpoint', join(root, 'fork.note'), '--data-dir', wdir, '--json'])
    assert.equal(forkRun.code, 1)
    const forkOut = JSON.parse(forkRun.stdout) as { evidence: Array<{ kind: string }> }
    assert.deepEqual(forkOut.evidence.map(e => e.kind), ['fork'])
    const evidence = await cliJson<Array<{ kind: string, notes: string[] }>>(['ledger', 'evidence', '--data-dir', wdir])
    assert.equal(evidence.length, 1)
    assert.ok(evidence[0].notes.includes(fork), 'the evidence keeps the contradicting signed note')
    assert.equal(evidence[0].notes.length, 2)

    // hand-tamper one entry of the worker's replica while it is stopped: verify reports it
    const stopped = await stopDaemon(worker)
    assert.equal(stopped, 0, `worker exit ${String(stopped)} signal ${String(worker.child.signalCode)}\n${worker.logs().slice(-3000)}`)
    const db = new Level<string, string>(join(wdir, DataDirFiles.replicaDb), { valueEncoding: 'utf8' })
    const replicaLog = await MerkleLog.open(db.sublevel<string, string>(`log:${coordId.peerId}`, { valueEncoding: 'utf8' }))
    await replicaLog.tamperForTests(settlements[1].index)
    await db.close()
    worker = await startDaemon(wdir, ['--role', 'worker', '--bootstrap', join(cdir, 'bootstrap.json')])
    daemons.push(worker)
    const bad = await cli(['ledger', 'verify', '--data-dir', wdir])
    assert.equal(bad.code, 1, bad.stdout + bad.stderr)
    assert.match(bad.stdout, /MISMATCH|entry \d+/)
    assert.match(bad.stdout + bad.stderr, new RegExp(`entry ${settlements[1].index}`))
  })
})
