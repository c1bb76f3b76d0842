// The node's Ed25519 identity: one key file, mode 0600, giving a stable peer id across restarts.
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { KeyFileError } from '../errors/index.js'
import { DataDirFiles, exists, writeFileAtomic } from './data-dir.js'

interface KeyFileJson {
  type: 'Ed25519'
  /** base64 of the libp2p protobuf-encoded private key */
  privateKey: string
  peerId: string
}

export async function createKeyFile (dataDir: string): Promise<PrivateKey> {
  return await createKeyFileAt(join(dataDir, DataDirFiles.key))
}

/** A key file anywhere (an admin key kept apart from any node, say); never replaces one. */
export async function createKeyFileAt (path: string): Promise<PrivateKey> {
  if (await exists(path)) throw new KeyFileError(`${path} already exists; refusing to replace an identity`)
  const key = await generateKeyPair('Ed25519')
  const body: KeyFileJson = {
    type: 'Ed25519',
    privateKey: Buffer.from(privateKeyToProtobuf(key)).toString('base64'),
    peerId: peerIdFromPrivateKey(key).toString()
  }
  await writeFileAtomic(path, JSON.stringify(body, null, 2) + '\n', 0o600)
  return key
}

export async function loadKeyFile (dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, DataDirFiles.key)
  if (!await exists(path)) throw new KeyFileError(`no key file at ${path}; run: edgecoder-node init --data-dir ${dataDir} --role ROLE`)
  return await loadKeyFileAt(path)
}

export async function loadKeyFileAt (path: string): Promise<PrivateKey> {
  let st
  try {
    st = await stat(path)
  } catch {
    throw new KeyFileError(`no key file at ${path}`)
  }
  // A key others can read is a key others may have copied.
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new KeyFileError(`${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new KeyFileError(`${path}: not valid JSON (${(err as Error).message})`)
  }
  const o = parsed as Partial<KeyFileJson> | null
  if (o == null || typeof o !== 'object') throw new KeyFileError(`${path}: must be a JSON object`)
  if (o.type !== 'Ed25519') throw new KeyFileError(`${path}: field "type" must be "Ed25519"`)
  if (typeof o.privateKey !== 'string') throw new KeyFileError(`${path}: field "privateKey" must be a base64 string`)
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(Buffer.from(o.privateKey, 'base64'))
  } catch (err) {
    throw new KeyFileError(`${path}: field "privateKey" is not a valid key (${(err as Error).message})`)
  }
  if (key.type !== 'Ed25519') throw new KeyFileError(`${path}: field "privateKey" must hold an Ed25519 key`)
  if (typeof o.peerId === 'string' && o.peerId !== peerIdFromPrivateKey(key).toString()) {
    throw new KeyFileError(`${path}: field "peerId" does not match the private key`)
  }
  return key
}
