// The bootstrap peer config file: which mesh to join and where to find its first peers.
import { peerIdFromString } from '@libp2p/peer-id'
import { readFile } from 'node:fs/promises'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { InvalidBootstrapFileError } from '../errors/index.js'

export interface BootstrapConfig {
  meshId: string
  peers: Multiaddr[]
  /** the mesh's admin keys (peer ids): lets every node check admin actions such as the blacklist */
  adminKeys?: string[]
}

export const MESH_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
export const DEFAULT_MESH_ID = 'edgecoder-local'

export async function loadBootstrapFile (path: string): Promise<BootstrapConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new InvalidBootstrapFileError(`bootstrap file ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new InvalidBootstrapFileError(`bootstrap file ${path}: not valid JSON (${(err as Error).message})`)
  }
  return parseBootstrapConfig(raw, `bootstrap file ${path}`)
}

export function parseBootstrapConfig (raw: unknown, source = 'bootstrap config'): BootstrapConfig {
  if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidBootstrapFileError(`${source}: must be a JSON object with "meshId" and "peers"`)
  }
  const o = raw as Record<string, unknown>
  for (const k of Object.keys(o)) {
    if (k !== 'meshId' && k !== 'peers' && k !== 'comment' && k !== 'adminKeys') throw new InvalidBootstrapFileError(`${source}: unknown field "${k}"`)
  }
  if (typeof o.meshId !== 'string' || !MESH_ID_PATTERN.test(o.meshId)) {
    throw new InvalidBootstrapFileError(`${source}: field "meshId" must be 1-64 characters of letters, digits, ".", "_" or "-"`)
  }
  if (!Array.isArray(o.peers)) throw new InvalidBootstrapFileError(`${source}: field "peers" must be an array of multiaddr strings`)
  const peers = o.peers.map((p, i) => {
    if (typeof p !== 'string') throw new InvalidBootstrapFileError(`${source}: field "peers[${i}]" must be a string`)
    let ma: Multiaddr
    try {
      ma = multiaddr(p)
    } catch (err) {
      throw new InvalidBootstrapFileError(`${source}: field "peers[${i}]" is not a multiaddr: ${(err as Error).message}`)
    }
    if (ma.getComponents().find(c => c.name === 'p2p') == null) {
      throw new InvalidBootstrapFileError(`${source}: field "peers[${i}]" must end in /p2p/<peer id>`)
    }
    return ma
  })
  let adminKeys: string[] | undefined
  if (o.adminKeys !== undefined) {
    if (!Array.isArray(o.adminKeys)) throw new InvalidBootstrapFileError(`${source}: field "adminKeys" must be an array of peer ids`)
    adminKeys = o.adminKeys.map((k, i) => {
      if (typeof k !== 'string') throw new InvalidBootstrapFileError(`${source}: field "adminKeys[${i}]" must be a string`)
      try { peerIdFromString(k) } catch { throw new InvalidBootstrapFileError(`${source}: field "adminKeys[${i}]" is not a peer id`) }
      return k
    })
  }
  return { meshId: o.meshId, peers, ...(adminKeys != null ? { adminKeys } : {}) }
}
