// Passphrase encryption of backup files in the age format (age-encryption.org/v1, scrypt recipient),
// by the format's own TypeScript implementation: no crypto of ours. The daemon streams plaintext
// to the CLI over loopback; the CLI encrypts as it writes, so the passphrase never leaves it.
import { createReadStream } from 'node:fs'
import { open, readFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { Decrypter, Encrypter } from 'age-encryption'
import { BackupCorruptError, BackupPassphraseError } from '../errors/index.js'
import { InvalidArgumentError } from '../errors/index.js'

const AGE_MAGIC = 'age-encryption.org/v1\n'
export const PASSPHRASE_ENV = 'EDGECODER_BACKUP_PASSPHRASE'

/** True when the file starts with the age header. */
export async function isEncrypted (file: string): Promise<boolean> {
  let fh
  try {
    fh = await open(file, 'r')
    const buf = Buffer.alloc(AGE_MAGIC.length)
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
    return buf.subarray(0, bytesRead).toString('latin1') === AGE_MAGIC
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new BackupCorruptError(`cannot read backup ${file}: ${code ?? (err as Error).message}`)
  } finally {
    await fh?.close()
  }
}

/** Encrypts a stream of chunks with a passphrase (scrypt work factor `logN`, age's default 18). */
export async function encryptChunks (chunks: AsyncIterable<string | Uint8Array>, passphrase: string, logN?: number): Promise<AsyncIterable<Uint8Array>> {
  const e = new Encrypter()
  e.setPassphrase(passphrase)
  if (logN != null) e.setScryptWorkFactor(logN)
  const plain = Readable.toWeb(Readable.from(chunks, { objectMode: false })) as unknown as ReadableStream<Uint8Array>
  const out = await e.encrypt(plain)
  return Readable.fromWeb(out as unknown as WebReadableStream<Uint8Array>)
}

/**
 * The plaintext of a backup file: as is, or decrypted with the passphrase. A missing or wrong
 * passphrase fails before any plaintext (BackupPassphraseError); a ciphertext cut short or
 * altered fails while reading (BackupCorruptError): age authenticates every 64 KiB chunk and the end.
 */
export async function openPlaintext (file: string, passphrase?: string): Promise<Readable> {
  if (!await isEncrypted(file)) return createReadStream(file)
  if (passphrase == null) throw new BackupPassphraseError(`backup ${file} is encrypted: give its passphrase (${PASSPHRASE_ENV} or --passphrase-file FILE)`)
  const d = new Decrypter()
  d.addPassphrase(passphrase)
  let out
  try {
    out = await d.decrypt(Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>)
  } catch {
    throw new BackupPassphraseError(`backup ${file}: wrong passphrase (or its age header is damaged)`)
  }
  const plain = Readable.fromWeb(out as unknown as WebReadableStream<Uint8Array>)
  // errors of the age stream (a chunk that fails authentication, a missing final chunk) name the damage
  async function * checked (): AsyncGenerator<Uint8Array> {
    try {
      for await (const c of plain) yield c as Uint8Array
    } catch (err) {
      throw new BackupCorruptError(`backup ${file} is damaged or truncated: ${(err as Error).message}`)
    }
  }
  return Readable.from(checked(), { objectMode: false })
}

/**
 * The passphrase for `backup` / `restore`: from --passphrase-file (first line) or the
 * EDGECODER_BACKUP_PASSPHRASE variable, never from argv (it would show in `ps` and shell history).
 */
export async function readPassphrase (file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  let p: string | undefined
  if (file != null) {
    let text: string
    try { text = await readFile(file, 'utf8') } catch (err) {
      throw new InvalidArgumentError(`--passphrase-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
    }
    p = text.split(/\r?\n/)[0]
    if (p === '') throw new InvalidArgumentError(`--passphrase-file ${file}: its first line is empty`)
  } else if (env[PASSPHRASE_ENV] != null && env[PASSPHRASE_ENV] !== '') {
    p = env[PASSPHRASE_ENV]
  }
  return p
}
