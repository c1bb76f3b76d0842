// C2SP checkpoints and signed notes: formatting and parsing, Go's sumdb/note documentation example
// signed byte for byte the same, libp2p and external signers, and every malformed, altered or
// wrongly-keyed note refused with its typed error; then an independent check of our checkpoints
// and proofs by Go's golang.org/x/mod/sumdb/{note,tlog} (skipped when test/interop/bin/verify-go
// is not built).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { EMPTY_ROOT } from '../src/ledger/merkle/hash.js'
import {
  formatCheckpoint, parseCheckpoint, signNote, openNote, noteVerifierKey, parseVerifierKey, noteKeyId, MAX_NOTE_BYTES
} from '../src/ledger/merkle/checkpoint.js'
import { CT_ROOTS, b64, hex, testLeaves, unhex } from './merkle/reference.js'
import { openLog, rejectsNamed, removeLogDirs } from './merkle/helpers.js'

after(removeLogDirs)

describe('C2SP checkpoints and signed notes', () => {
  const root = unhex(CT_ROOTS[7])

  it('formats and parses checkpoints, keeping extension lines', () => {
    const text = formatCheckpoint({ origin: 'example.com/log', size: 8, rootHash: root })
    assert.equal(text, `example.com/log\n8\n${b64(root)}\n`)
    assert.deepEqual(parseCheckpoint(text), { origin: 'example.com/log', size: 8, rootHash: root, extensions: [] })
    const ext = formatCheckpoint({ origin: 'o', size: 0, rootHash: EMPTY_ROOT, extensions: ['x-ext one', 'two'] })
    assert.deepEqual(parseCheckpoint(ext).extensions, ['x-ext one', 'two'])
  })

  it('refuses malformed checkpoints with MalformedCheckpointError', async () => {
    const r = b64(root)
    for (const bad of [
      '', 'o\n8\n', `o\n8\n${r}`, `\n8\n${r}\n`, `o\n08\n${r}\n`, `o\n-1\n${r}\n`, `o\n8.0\n${r}\n`, `o\n 8\n${r}\n`,
      `o\n99999999999999999999\n${r}\n`, `o\n8\n${r.slice(0, -4)}\n`, `o\n8\n${r.replace('=', 'A')}\n`, `o\n8\n${r}\n\n`,
      `o\n8\n${r}\nbad\rline\n`, `o\n8\n${b64(new Uint8Array(33))}\n`, `o\n8\n${'A'.repeat(MAX_NOTE_BYTES)}\n`
    ]) {
      await rejectsNamed(() => parseCheckpoint(bad), 'MalformedCheckpointError', JSON.stringify(bad.slice(0, 80)))
    }
    await rejectsNamed(() => formatCheckpoint({ origin: 'a\nb', size: 1, rootHash: root }), 'InvalidArgumentError')
    await rejectsNamed(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: new Uint8Array(3) }), 'InvalidArgumentError')
    await rejectsNamed(() => formatCheckpoint({ origin: 'o', size: -1, rootHash: root }), 'InvalidArgumentError')
  })

  it('opens the note from Go\'s sumdb/note documentation, and signs it byte for byte the same', async () => {
    // from golang.org/x/mod/sumdb/note's package doc (Ed25519 is deterministic)
    const vkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
    const skey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'
    const text = 'If you think cryptography is the answer to your problem,\nthen you don\'t know what your problem is.\n'
    const sig = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n'
    const enoch = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n'
    const opened = openNote(`${text}\n${sig}${enoch}`, [vkey])
    assert.equal(opened.text, text)
    assert.deepEqual(opened.verifiedBy, [{ name: 'PeterNeumann', keyId: 0xc74f20a3 }])
    assert.equal(opened.unverified[0].name, 'EnochRoot')
    const seed = Buffer.from(skey.split('+').slice(4).join('+'), 'base64').subarray(1)
    const key = await generateKeyPairFromSeed('Ed25519', seed)
    assert.equal(noteVerifierKey('PeterNeumann', key.publicKey.raw), vkey)
    assert.equal(await signNote(text, 'PeterNeumann', key), `${text}\n${sig}`)
  })

  it('signs and opens checkpoints with libp2p keys and external signers; several signers', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const origin = 'edgecoder/mesh-1/12D3KooWexample'
    const text = formatCheckpoint({ origin, size: 8, rootHash: root })
    const note = await signNote(text, origin, key)
    assert.ok(note.startsWith(`${text}\n— ${origin} `))
    const vkey = noteVerifierKey(origin, key.publicKey.raw)
    const v = parseVerifierKey(vkey)
    assert.equal(v.name, origin)
    assert.equal(v.keyId, noteKeyId(origin, key.publicKey.raw))
    assert.equal(hex(v.publicKey), hex(key.publicKey.raw))
    const opened = openNote(note, [vkey])
    assert.equal(opened.text, text)
    assert.deepEqual(parseCheckpoint(opened.text).rootHash, root)
    // a signer that holds its key elsewhere; two signatures on one note
    const external = { publicKey: other.publicKey.raw, sign: async (m: Uint8Array) => await other.sign(m) }
    const both = await signNote(text, [{ name: origin, key }, { name: 'witness.example', key: external }])
    const all = openNote(both, [vkey, noteVerifierKey('witness.example', other.publicKey.raw)])
    assert.deepEqual(all.verifiedBy.map(s => s.name), [origin, 'witness.example'])
    assert.deepEqual(openNote(both, [vkey]).unverified.map(s => s.name), ['witness.example'])
  })

  it('refuses wrong keys, altered text, bad encodings, missing signatures and key-id collisions', async () => {
    const key = await generateKeyPair('Ed25519')
    const stranger = await generateKeyPair('Ed25519')
    const origin = 'example.com/log'
    const vkey = noteVerifierKey(origin, key.publicKey.raw)
    const text = formatCheckpoint({ origin, size: 8, rootHash: root })
    const note = await signNote(text, origin, key)
    const sigLine = note.slice(text.length + 1)

    // another key under the same name: a different key id, so nothing we know signed it
    await rejectsNamed(() => openNote(note, [noteVerifierKey(origin, stranger.publicKey.raw)]), 'UnknownNoteKeyError')
    await rejectsNamed(() => openNote(note, [noteVerifierKey('other.example', key.publicKey.raw)]), 'UnknownNoteKeyError')
    // altered text under a valid signature
    await rejectsNamed(() => openNote(note.replace('\n8\n', '\n9\n'), [vkey]), 'InvalidNoteSignatureError')
    // the known name and key id, with a signature by another key (a colliding or forged id)
    const forged = await signNote(text, origin, stranger)
    const forgedSig = Buffer.from(forged.slice(text.length + 1 + `— ${origin} `.length, -1), 'base64')
    Buffer.from(sigLine.slice(`— ${origin} `.length, -1), 'base64').copy(forgedSig, 0, 0, 4)
    await rejectsNamed(() => openNote(`${text}\n— ${origin} ${forgedSig.toString('base64')}\n`, [vkey]), 'InvalidNoteSignatureError')
    // a good signature does not excuse a bad one by a known key on the same note
    await rejectsNamed(() => openNote(`${note}— ${origin} ${forgedSig.toString('base64')}\n`, [vkey]), 'InvalidNoteSignatureError')
    // a truncated signature by a known key
    const short = Buffer.from(sigLine.slice(`— ${origin} `.length, -1), 'base64').subarray(0, 40).toString('base64')
    await rejectsNamed(() => openNote(`${text}\n— ${origin} ${short}\n`, [vkey]), 'InvalidNoteSignatureError')

    for (const [what, bad] of [
      ['no signature lines', `${text}\n`],
      ['no blank line', `${text}${sigLine}`],
      ['no final newline', note.slice(0, -1)],
      ['bad base64', note.replace(/ ([A-Za-z0-9+/]{8})/, ' !$1')],
      ['base64 without padding', note.replace(/=\n$/, '\n')],
      ['too short a signature', `${text}\n— ${origin} AAAA\n`],
      ['hyphen instead of em dash', note.replace('—', '-')],
      ['no space after the name', `${text}\n— ${origin}\n`],
      ['a carriage return', note.replace('\n8\n', '\r\n8\n')],
      ['a lone surrogate', note.replace('example', 'ex\uD800ample')],
      ['too large', `${'a'.repeat(MAX_NOTE_BYTES)}\n\n${sigLine}`],
      ['too many signatures', `${text}\n${sigLine.repeat(101)}`]
    ]) {
      await rejectsNamed(() => openNote(bad, [vkey]), 'MalformedNoteError', what)
    }
    // a blank line among signatures ends the text there: the first line is then signed-over text
    await rejectsNamed(() => openNote(`${text}\n${sigLine}\n${sigLine}`, [vkey]), 'InvalidNoteSignatureError')

    for (const bad of [
      '', 'name', `${origin}+00000000+${b64(Uint8Array.of(1, ...key.publicKey.raw))}`, vkey.replace(/\+([0-9a-f]{8})\+/, (_m, id: string) => `+${id.toUpperCase()}+`),
      `with space+${vkey.split('+').slice(1).join('+')}`, `${origin}+${vkey.split('+')[1]}+${b64(Uint8Array.of(2, ...key.publicKey.raw))}`, vkey.slice(0, -4)
    ]) {
      await rejectsNamed(() => parseVerifierKey(bad), 'MalformedVerifierKeyError', bad)
    }
    await rejectsNamed(() => noteVerifierKey('a+b', key.publicKey.raw), 'MalformedVerifierKeyError')
    await rejectsNamed(async () => await signNote(text, 'has space', key), 'InvalidArgumentError')
    await rejectsNamed(async () => await signNote('no newline', origin, key), 'MalformedNoteError')
    await rejectsNamed(async () => await signNote('a\u0007\n', origin, key), 'MalformedNoteError')
  })
})

describe('Go reference verifier (golang.org/x/mod/sumdb)', function () {
  this.timeout(60_000)
  const bin = fileURLToPath(new URL('../../test/interop/bin/verify-go', import.meta.url))

  function runGo (input: unknown): { status: number | null, stdout: string, stderr: string } {
    const r = spawnSync(bin, [], { input: JSON.stringify(input), encoding: 'utf8', timeout: 30_000 })
    return { status: r.status, stdout: r.stdout, stderr: r.stderr }
  }

  it('accepts our signed checkpoint and proofs, refuses tampered ones', async function () {
    if (!existsSync(bin)) this.skip() // not built: run scripts/install-go-verifier.sh (needs Go and golang-golang-x-mod-dev)
    const { db, log } = await openLog()
    const entries = testLeaves(1000)
    for (let i = 0; i < entries.length; i += 333) await log.append(entries.slice(i, i + 333))
    const key = await generateKeyPair('Ed25519')
    const origin = 'edgecoder/interop/12D3KooWtest'
    const size = log.size
    const note = await signNote(formatCheckpoint({ origin, size, rootHash: await log.root() }), origin, key)
    const verifierKey = noteVerifierKey(origin, key.publicKey.raw)
    const proofs: Array<Record<string, unknown>> = []
    for (const index of [0, 1, 7, 8, 511, 512, 998, 999]) {
      proofs.push({ kind: 'inclusion', index, entry: b64(await log.entry(index)), proof: (await log.inclusionProof(index, size)).map(b64) })
    }
    for (const oldSize of [1, 2, 3, 8, 500, 512, 513, 999, 1000]) {
      proofs.push({ kind: 'consistency', oldSize, oldRoot: b64(await log.root(oldSize)), proof: (await log.consistencyProof(oldSize, size)).map(b64) })
    }
    const ok = runGo({ note, verifierKey, proofs })
    assert.equal(ok.status, 0, ok.stderr)
    assert.deepEqual(JSON.parse(ok.stdout), { ok: true, origin, size, root: b64(await log.root()), signatures: 1, proofs: proofs.length })

    const tampered = runGo({ note: note.replace(`\n${size}\n`, `\n${size + 1}\n`), verifierKey, proofs: [] })
    assert.notEqual(tampered.status, 0)
    assert.match(tampered.stderr, /invalid signature/)
    const wrongKey = runGo({ note, verifierKey: noteVerifierKey(origin, (await generateKeyPair('Ed25519')).publicKey.raw), proofs: [] })
    assert.notEqual(wrongKey.status, 0)
    const badProof = runGo({ note, verifierKey, proofs: [{ ...proofs[2], index: 6 }] })
    assert.notEqual(badProof.status, 0)
    assert.match(badProof.stderr, /inclusion of entry 6/)
    const badConsistency = runGo({ note, verifierKey, proofs: [{ ...proofs[proofs.length - 3], oldRoot: b64(await log.root(5)) }] })
    assert.notEqual(badConsistency.status, 0)
    await db.close()
  })
})
