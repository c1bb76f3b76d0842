// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, and tlog checkpoints
// (https://c2sp.org/tlog-checkpoint) as their text. Byte-compatible with golang.org/x/mod/sumdb/note:
// a note is `<text ending in \n>\n` then one line per signature, `— <key name> <base64(key id || sig)>\n`,
// and the signature covers the text only (with its final newline, without the blank line).
// Parsing is strict and never trusts a length or a count it has not bounded.
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'
import { InvalidArgumentError } from '../../errors/index.js'
import { HASH_SIZE } from './hash.js'
import {
  InvalidNoteSignatureError, MalformedCheckpointError, MalformedNoteError, MalformedVerifierKeyError, UnknownNoteKeyError
} from '../../errors/index.js'

/** Largest signed note (text and signatures, UTF-8 bytes) accepted or produced. */
export const MAX_NOTE_BYTES = 64 * 1024
/** Most signature lines read from one note (as Go's note.Open). */
export const MAX_NOTE_SIGNATURES = 100

const ALG_ED25519 = 0x01
const SIG_PREFIX = '\u2014 ' // em dash, space
const utf8 = new TextEncoder()

export interface Checkpoint {
  /** the log's identity, e.g. `example.com/log` (the key name that signs it, by convention) */
  origin: string
  size: number
  rootHash: Uint8Array
  /** lines after the root hash, kept in order, without their newlines */
  extensions?: string[]
}

/** An Ed25519 note verifier: what a `<name>+<key id>+<key>` string says. */
export interface NoteVerifier {
  name: string
  /** first 4 bytes of SHA-256(name || "\n" || 0x01 || key), big-endian */
  keyId: number
  publicKey: Uint8Array
}

/** Something that signs with an Ed25519 key held elsewhere (an HSM, another process). */
export interface NoteSigner {
  publicKey: Uint8Array
  sign: (message: Uint8Array) => Uint8Array | Promise<Uint8Array>
}

export interface NoteSignature { name: string, keyId: number }

export interface OpenedNote {
  text: string
  /** the known keys that signed the note, each once */
  verifiedBy: NoteSignature[]
  /** signatures by keys we were not given (not checked) */
  unverified: NoteSignature[]
}

// --- strict building blocks ---

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Standard base64 with padding, canonical only (Buffer's decoder silently skips junk). */
export function fromBase64 (s: string): Uint8Array | undefined {
  if (!BASE64.test(s)) return undefined
  const b = Buffer.from(s, 'base64')
  if (b.toString('base64') !== s) return undefined // non-zero padding bits
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

const toBase64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')

// a lone surrogate cannot be encoded as UTF-8: such a string is not a valid note
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000B-\u001F]/

/** Valid UTF-8 with no ASCII control character but newline: what a note may contain (as Go's Open). */
function isNoteText (s: string): boolean {
  return !LONE_SURROGATE.test(s) && !CONTROL_BUT_NEWLINE.test(s)
}

/** A key name: non-empty, no Unicode space (as Go's unicode.IsSpace), no '+', no control character. */
export function isValidKeyName (name: string): boolean {
  return name !== '' && isNoteText(name) && !/[\p{White_Space}+]/u.test(name)
}

/** The C2SP key id of an Ed25519 key: SHA-256(name || "\n" || 0x01 || key)[0:4], big-endian. */
export function noteKeyId (name: string, publicKey: Uint8Array): number {
  const h = createHash('sha256').update(name).update('\n').update(Uint8Array.of(ALG_ED25519)).update(publicKey).digest()
  return h.readUInt32BE(0)
}

const hex8 = (id: number): string => id.toString(16).padStart(8, '0')

// --- verifier keys ---

/** The verifier key string `<name>+<8 hex key id>+<base64(0x01 || key)>` (as Go's NewEd25519VerifierKey). */
export function noteVerifierKey (name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new MalformedVerifierKeyError(`key name ${JSON.stringify(name)} must be non-empty, without spaces, newlines or '+'`)
  if (publicKey.length !== 32) throw new MalformedVerifierKeyError(`an Ed25519 public key has 32 bytes, not ${publicKey.length}`)
  const key = new Uint8Array(33)
  key[0] = ALG_ED25519
  key.set(publicKey, 1)
  return `${name}+${hex8(noteKeyId(name, publicKey))}+${toBase64(key)}`
}

export function parseVerifierKey (vkey: string): NoteVerifier {
  const bad = (why: string): Error => new MalformedVerifierKeyError(`verifier key ${JSON.stringify(vkey.slice(0, 200))}: ${why}`)
  if (typeof vkey !== 'string' || vkey.length > 1024) throw bad('not a verifier key string')
  // the name has no '+', the id is 8 hex digits, the key (base64) may contain '+'
  const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey)
  if (m == null) throw bad('expected <name>+<8 lowercase hex digits>+<base64 key>')
  const [, name, id, b64] = m
  if (!isValidKeyName(name)) throw bad('the key name must be non-empty, without spaces, newlines or \'+\'')
  const key = fromBase64(b64)
  if (key == null) throw bad('the key is not canonical standard base64')
  if (key.length !== 33 || key[0] !== ALG_ED25519) throw bad('only Ed25519 keys (0x01 followed by 32 bytes) are supported')
  const publicKey = key.slice(1)
  const keyId = noteKeyId(name, publicKey)
  if (hex8(keyId) !== id) throw bad(`key id ${id} does not match the name and key (expected ${hex8(keyId)})`)
  return { name, keyId, publicKey }
}

// --- signing and opening ---

function checkText (text: string): void {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw new MalformedNoteError('note text must end with a newline')
  if (!isNoteText(text)) throw new MalformedNoteError('note text must be valid UTF-8 without control characters other than newline')
  if (text.length > MAX_NOTE_BYTES || utf8.encode(text).length > MAX_NOTE_BYTES) throw new MalformedNoteError(`note text is larger than ${MAX_NOTE_BYTES} bytes`)
}

async function signatureLine (message: Uint8Array, name: string, key: PrivateKey | NoteSigner): Promise<string> {
  if (!isValidKeyName(name)) throw new InvalidArgumentError(`key name ${JSON.stringify(name)} must be non-empty, without spaces, newlines or '+'`)
  let publicKey: Uint8Array
  if (key.publicKey instanceof Uint8Array) {
    publicKey = key.publicKey
  } else {
    const k = key as PrivateKey
    if (k.type !== 'Ed25519') throw new InvalidArgumentError(`signed notes need an Ed25519 key, not ${k.type}`)
    publicKey = k.publicKey.raw
  }
  if (publicKey.length !== 32) throw new InvalidArgumentError(`an Ed25519 public key has 32 bytes, not ${publicKey.length}`)
  const sig = await key.sign(message)
  if (sig.length !== 64) throw new InvalidArgumentError(`an Ed25519 signature has 64 bytes, not ${sig.length}`)
  const body = new Uint8Array(68)
  new DataView(body.buffer).setUint32(0, noteKeyId(name, publicKey))
  body.set(sig, 4)
  return `${SIG_PREFIX}${name} ${toBase64(body)}\n`
}

/**
 * Signs `text` (which must end in a newline) as a C2SP signed note: by one key, or by several
 * (one signature line each, in the order given).
 */
export async function signNote (text: string, name: string, key: PrivateKey | NoteSigner): Promise<string>
export async function signNote (text: string, signers: Array<{ name: string, key: PrivateKey | NoteSigner }>): Promise<string>
export async function signNote (text: string, nameOrSigners: string | Array<{ name: string, key: PrivateKey | NoteSigner }>, key?: PrivateKey | NoteSigner): Promise<string> {
  checkText(text)
  const signers = typeof nameOrSigners === 'string' ? [{ name: nameOrSigners, key: key as PrivateKey | NoteSigner }] : nameOrSigners
  if (signers.length === 0 || signers.length > MAX_NOTE_SIGNATURES) throw new InvalidArgumentError(`a note needs 1..${MAX_NOTE_SIGNATURES} signers`)
  const message = utf8.encode(text)
  let note = `${text}\n`
  for (const s of signers) note += await signatureLine(message, s.name, s.key)
  if (utf8.encode(note).length > MAX_NOTE_BYTES) throw new MalformedNoteError(`signed note is larger than ${MAX_NOTE_BYTES} bytes`)
  return note
}

// SubjectPublicKeyInfo DER prefix for a raw Ed25519 key (RFC 8410)
const ED25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])

function ed25519Verify (publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
  if (sig.length !== 64) return false
  const der = new Uint8Array(ED25519_SPKI_PREFIX.length + 32)
  der.set(ED25519_SPKI_PREFIX)
  der.set(publicKey, ED25519_SPKI_PREFIX.length)
  try {
    return verifySignature(null, message, createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }), sig)
  } catch {
    return false
  }
}

/**
 * Opens a signed note: checks its grammar, verifies every signature by a key in `verifierKeys`
 * and returns the text. Signatures by other keys are listed as unverified, not checked.
 * Throws MalformedNoteError (grammar, size), InvalidNoteSignatureError (a known key's signature
 * does not verify: the note was altered or signed by another key with a colliding id),
 * UnknownNoteKeyError (no signature by a known key), MalformedVerifierKeyError (bad or ambiguous keys).
 */
export function openNote (note: string, verifierKeys: Array<string | NoteVerifier>): OpenedNote {
  if (typeof note !== 'string') throw new MalformedNoteError('a note is a string')
  if (note.length > MAX_NOTE_BYTES) throw new MalformedNoteError(`note is larger than ${MAX_NOTE_BYTES} bytes`)
  if (!isNoteText(note)) throw new MalformedNoteError('note must be valid UTF-8 without control characters other than newline')
  const bytes = utf8.encode(note)
  if (bytes.length > MAX_NOTE_BYTES) throw new MalformedNoteError(`note is larger than ${MAX_NOTE_BYTES} bytes`)

  const known = new Map<string, NoteVerifier>()
  for (const k of verifierKeys) {
    const v = typeof k === 'string' ? parseVerifierKey(k) : k
    const id = `${v.name}+${hex8(v.keyId)}`
    const same = known.get(id)
    if (same != null && Buffer.compare(same.publicKey, v.publicKey) !== 0) throw new MalformedVerifierKeyError(`two different verifier keys are both ${id}`)
    known.set(id, v)
  }

  // the text ends at the last blank line; everything after it is signature lines
  const split = note.lastIndexOf('\n\n')
  if (split < 0) throw new MalformedNoteError('note has no blank line before its signatures')
  const text = note.slice(0, split + 1)
  const sigBlock = note.slice(split + 2)
  if (sigBlock === '' || !sigBlock.endsWith('\n')) throw new MalformedNoteError('note has no signature lines, or its last line lacks a newline')
  const lines = sigBlock.slice(0, -1).split('\n')
  if (lines.length > MAX_NOTE_SIGNATURES) throw new MalformedNoteError(`note has more than ${MAX_NOTE_SIGNATURES} signatures`)

  const message = utf8.encode(text)
  const verifiedBy = new Map<string, NoteSignature>()
  const unverified = new Map<string, NoteSignature>()
  for (const [i, line] of lines.entries()) {
    if (!line.startsWith(SIG_PREFIX)) throw new MalformedNoteError(`signature line ${i + 1} does not start with "— "`)
    const rest = line.slice(SIG_PREFIX.length)
    const space = rest.indexOf(' ')
    const name = space < 0 ? rest : rest.slice(0, space)
    const b64 = space < 0 ? '' : rest.slice(space + 1)
    if (!isValidKeyName(name)) throw new MalformedNoteError(`signature line ${i + 1} has an invalid key name`)
    const sig = fromBase64(b64)
    if (sig == null || sig.length < 5) throw new MalformedNoteError(`signature line ${i + 1} (${name}) is not canonical base64 of a key id and a signature`)
    const keyId = new DataView(sig.buffer, sig.byteOffset, sig.byteLength).getUint32(0)
    const id = `${name}+${hex8(keyId)}`
    const v = known.get(id)
    if (v == null) {
      unverified.set(line, { name, keyId })
      continue
    }
    if (!ed25519Verify(v.publicKey, message, sig.subarray(4))) throw new InvalidNoteSignatureError(`signature by ${id} does not verify`)
    verifiedBy.set(id, { name, keyId })
  }
  if (verifiedBy.size === 0) {
    const seen = [...unverified.values()].map(s => `${s.name}+${hex8(s.keyId)}`).join(', ')
    throw new UnknownNoteKeyError(`note is not signed by any known key (signed by: ${seen})`)
  }
  return { text, verifiedBy: [...verifiedBy.values()], unverified: [...unverified.values()] }
}

// --- checkpoints ---

const DECIMAL = /^(0|[1-9][0-9]*)$/

function checkLine (line: string, what: string, bad: (why: string) => Error): void {
  if (line === '') throw bad(`${what} is empty`)
  if (line.includes('\n') || !isNoteText(line)) throw bad(`${what} has a newline, a control character or invalid UTF-8`)
}

/** `<origin>\n<size>\n<base64 root>\n[extension lines\n]` */
export function formatCheckpoint (cp: Checkpoint): string {
  const bad = (why: string): Error => new InvalidArgumentError(`checkpoint: ${why}`)
  checkLine(cp.origin, 'origin', bad)
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw bad(`size ${cp.size} is not a tree size`)
  if (!(cp.rootHash instanceof Uint8Array) || cp.rootHash.length !== HASH_SIZE) throw bad(`root hash must have ${HASH_SIZE} bytes`)
  const ext = cp.extensions ?? []
  for (const line of ext) checkLine(line, 'extension line', bad)
  const text = [cp.origin, String(cp.size), toBase64(cp.rootHash), ...ext].join('\n') + '\n'
  if (text.length > MAX_NOTE_BYTES || utf8.encode(text).length > MAX_NOTE_BYTES) throw bad(`checkpoint is larger than ${MAX_NOTE_BYTES} bytes`)
  return text
}

export function parseCheckpoint (text: string): Required<Checkpoint> {
  const bad = (why: string): Error => new MalformedCheckpointError(`checkpoint: ${why}`)
  if (typeof text !== 'string') throw bad('not a string')
  if (text.length > MAX_NOTE_BYTES) throw bad(`larger than ${MAX_NOTE_BYTES} bytes`)
  if (!text.endsWith('\n')) throw bad('must end with a newline')
  const lines = text.slice(0, -1).split('\n')
  if (lines.length < 3) throw bad('needs an origin, a tree size and a root hash line')
  const [origin, sizeLine, rootLine, ...extensions] = lines
  checkLine(origin, 'origin', bad)
  if (!DECIMAL.test(sizeLine)) throw bad(`tree size ${JSON.stringify(sizeLine.slice(0, 40))} is not a decimal number without leading zeros`)
  const size = Number(sizeLine)
  if (!Number.isSafeInteger(size)) throw bad(`tree size ${sizeLine} is larger than ${Number.MAX_SAFE_INTEGER}`)
  const rootHash = fromBase64(rootLine)
  if (rootHash == null || rootHash.length !== HASH_SIZE) throw bad(`root hash is not canonical base64 of ${HASH_SIZE} bytes`)
  for (const line of extensions) checkLine(line, 'extension line', bad)
  return { origin, size, rootHash, extensions }
}
