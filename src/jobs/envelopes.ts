// Stored form of signed envelopes (base64 JSON in LevelDB) and back.
import type { SignedEnvelope } from '../wire/pb/envelope.js'
import type { StoredEnvelope } from './types.js'

export function storeEnvelope (e: SignedEnvelope): StoredEnvelope {
  return { payload: Buffer.from(e.payload).toString('base64'), signature: Buffer.from(e.signature).toString('base64') }
}

export function loadEnvelope (s: StoredEnvelope): SignedEnvelope {
  return { payload: new Uint8Array(Buffer.from(s.payload, 'base64')), signature: new Uint8Array(Buffer.from(s.signature, 'base64')) }
}
