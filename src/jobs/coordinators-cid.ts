// The DHT key under which granted coordinators provide themselves, and workers and clients look
// them up: a raw CID of the mesh's coordinators key.
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { coordinatorsKey } from '../wire/domains.js'

export async function coordinatorsCid (meshId: string): Promise<CID> {
  const digest = await sha256.digest(new TextEncoder().encode(coordinatorsKey(meshId)))
  return CID.createV1(raw.code, digest)
}
