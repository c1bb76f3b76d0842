// The offline audit of a whole log (`ledger audit --entries`): crafted logs, signed with a real
// coordinator key, that double a grant, grant with no approval, or rest on the wrong approval.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { Fixture, MESH } from './helpers.js'
import { cli } from './cli-helpers.js'
import { LedgerEntry } from '../src/wire/pb/ledger.js'
import { DEFAULT_POLICY, policyToPb } from '../src/ledger/policy.js'
import { welcomeGrantEntry } from '../src/ledger/grants.js'
import { auditLog, rootOfEntries } from '../src/ledger/log-audit.js'
import { logOrigin } from '../src/ledger/coordinator-ledger.js'
import { formatCheckpoint, noteVerifierKey, signNote } from '../src/ledger/merkle/checkpoint.js'
import { signAdminAction } from '../src/admission/admin-actions.js'
import { entryToJson } from '../src/api/ledger-view.js'

const peer = async (): Promise<string> => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

async function signedLog (key: PrivateKey, entries: LedgerEntry[]): Promise<{ note: string, noteKey: string, bytes: Uint8Array[] }> {
  const origin = logOrigin(MESH, peerIdFromPrivateKey(key).toString())
  const bytes = entries.map(e => LedgerEntry.encode(e))
  const note = await signNote(formatCheckpoint({ origin, size: bytes.length, rootHash: rootOfEntries(bytes) }), origin, key)
  return { note, noteKey: noteVerifierKey(origin, key.publicKey.raw), bytes }
}

const genesis = (): LedgerEntry => ({ kind: LedgerEntry.Kind.POLICY, timeMs: 1n, postings: [], policy: policyToPb({ ...DEFAULT_POLICY, welcomeGrant: 10n }), memo: 'genesis policy' })

async function rejectsNamed (p: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(p, (e: Error) => { assert.equal(e.name, name, e.message); return true })
}

describe('offline audit of welcome grants', function () {
  this.timeout(60_000)
  const fx = new Fixture()
  afterEach(async () => { await fx.cleanup() })

  it('passes an honest log; catches a doubled grant, a grant with no approval and one on the wrong approval', async () => {
    const key = await generateKeyPair('Ed25519')
    const [a, b] = [await peer(), await peer()]
    const approve = async (target: string, k = key): Promise<Awaited<ReturnType<typeof signAdminAction>>> => await signAdminAction(k, MESH, { kind: 'APPROVE', target })
    const grantA = welcomeGrantEntry(a, 10n, await approve(a))

    // positive control: genesis and one grant on a signed approval of that account
    const honest = await signedLog(key, [genesis(), grantA])
    const ok = await auditLog(honest.note, honest.noteKey, honest.bytes)
    assert.deepEqual([ok.entries, ok.grants, ok.approvers], [2, 1, [peerIdFromPrivateKey(key).toString()]])

    // a second grant to the same account, on a second (valid) approval
    const doubled = await signedLog(key, [genesis(), grantA, welcomeGrantEntry(a, 10n, await approve(a))])
    await rejectsNamed(auditLog(doubled.note, doubled.noteKey, doubled.bytes), 'GrantAuditError')

    // a grant that names no approval (as every grant did before approvals)
    const bare: LedgerEntry = { ...welcomeGrantEntry(b, 10n, await approve(b)), adminAction: undefined, mint: { reason: 'welcome-grant', windowStartMs: 0n, windowEndMs: 0n, approval: new Uint8Array() } }
    const unbacked = await signedLog(key, [genesis(), grantA, bare])
    await rejectsNamed(auditLog(unbacked.note, unbacked.noteKey, unbacked.bytes), 'GrantAuditError')

    // someone else's approval, an approval by a key that is no approver, a digest that is not the envelope's
    const wrongTarget = await signedLog(key, [genesis(), welcomeGrantEntry(b, 10n, await approve(a))].map((e, i) => i === 1 ? { ...e, postings: [{ account: 'mint', delta: -10n }, { account: b, delta: 10n }] } : e))
    await rejectsNamed(auditLog(wrongTarget.note, wrongTarget.noteKey, wrongTarget.bytes), 'GrantAuditError')
    const stranger = await generateKeyPair('Ed25519')
    const foreign = await signedLog(key, [genesis(), welcomeGrantEntry(b, 10n, await approve(b, stranger))])
    await rejectsNamed(auditLog(foreign.note, foreign.noteKey, foreign.bytes), 'GrantAuditError')
    // ... which passes once the auditor names that key as an approver (a separate admin key)
    assert.equal((await auditLog(foreign.note, foreign.noteKey, foreign.bytes, { approvers: [peerIdFromPrivateKey(stranger).toString()] })).grants, 1)
    const swapped = welcomeGrantEntry(b, 10n, await approve(b))
    const misnamed = await signedLog(key, [genesis(), { ...swapped, mint: { ...(swapped.mint as NonNullable<LedgerEntry['mint']>), approval: grantA.mint?.approval ?? new Uint8Array() } }])
    await rejectsNamed(auditLog(misnamed.note, misnamed.noteKey, misnamed.bytes), 'GrantAuditError')
    // more than the policy grants
    const greedy = await signedLog(key, [genesis(), welcomeGrantEntry(a, 11n, await approve(a))])
    await rejectsNamed(auditLog(greedy.note, greedy.noteKey, greedy.bytes), 'GrantAuditError')

    // entries that are not the checkpointed log are refused before any grant is looked at
    await rejectsNamed(auditLog(honest.note, honest.noteKey, doubled.bytes.slice(0, 2).reverse()), 'ProofMismatchError')
  })

  it('the CLI: `ledger audit --entries` passes a real coordinator\'s log and fails a doubled grant', async () => {
    const key = await generateKeyPair('Ed25519')
    const coord = await fx.coordinator({ privateKey: key, admission: { mode: 'token' } })
    await fx.workers(1, coord, { token: (await coord.admission.state.tokens.create({ autoApprove: true })).token })
    const client = await fx.client(coord)
    for (let i = 0; i < 3; i++) await client.jobs.wait(await client.jobs.submit({ executor: 'noop', input: `j${i}` }), { signal: AbortSignal.timeout(20_000) })
    const ledger = coord.ledger
    if (ledger == null) throw new Error('no ledger')
    const note = await ledger.checkpoint()
    const json = []
    for (let i = 0; i < ledger.checkpointSize; i++) json.push(entryToJson(i, await ledger.entry(i)))
    assert.equal(json.filter(e => e.mint?.reason === 'welcome-grant').every(e => e.mint?.approval?.length === 64), true, 'entries show the approval digest')
    const dir = await fx.dir()
    await writeFile(join(dir, 'cp.note'), note)
    await writeFile(join(dir, 'entries.json'), JSON.stringify({ treeSize: ledger.checkpointSize, entries: json }))
    const good = await cli(['ledger', 'audit', '--checkpoint', join(dir, 'cp.note'), '--key', ledger.noteKey, '--entries', join(dir, 'entries.json')])
    assert.equal(good.code, 0, good.stderr)
    assert.match(good.stdout, /ok: 1 welcome grant,/)

    // the same log with the grant appended again, signed by the coordinator's own key
    const grant = json.find(e => e.mint?.reason === 'welcome-grant')
    if (grant == null) throw new Error('no grant')
    const bytes = json.map(e => new Uint8Array(Buffer.from(e.leaf, 'base64')))
    bytes.push(new Uint8Array(Buffer.from(grant.leaf, 'base64')))
    const forged = await signedLog(key, bytes.map(b => LedgerEntry.decode(b)))
    await writeFile(join(dir, 'forged.note'), forged.note)
    await writeFile(join(dir, 'forged.json'), JSON.stringify(forged.bytes.map((b, i) => entryToJson(i, b))))
    const bad = await cli(['ledger', 'audit', '--checkpoint', join(dir, 'forged.note'), '--key', forged.noteKey, '--entries', join(dir, 'forged.json')])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /\[GrantAuditError\]/)
  })
})
