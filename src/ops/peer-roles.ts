// Connected peers by role, from identify's agent string ("edgecoder-node/x role=worker") or, for
// peers that do not say, from the protocols they serve. No pings: cheap enough for every scrape.
import type { Libp2p, PeerId } from '@libp2p/interface'
import { Protocols } from '../wire/domains.js'

export type PeerRole = 'coordinator' | 'worker' | 'client' | 'unknown'
export const PEER_ROLES: readonly PeerRole[] = ['coordinator', 'worker', 'client', 'unknown']

export async function roleOf (libp2p: Libp2p, peer: PeerId): Promise<PeerRole> {
  try {
    const p = await libp2p.peerStore.get(peer)
    const av = p.metadata.get('AgentVersion')
    const role = /role=(\w+)/.exec(av != null ? new TextDecoder().decode(av) : '')?.[1]
    if (role === 'coordinator' || role === 'worker' || role === 'client') return role
    if (p.protocols.includes(Protocols.claim)) return 'coordinator'
    if (p.protocols.includes(Protocols.cancel)) return 'worker'
  } catch {}
  return 'unknown'
}

/** Connected peer ids grouped by role. */
export async function peersByRole (libp2p: Libp2p): Promise<Record<PeerRole, string[]>> {
  const out: Record<PeerRole, string[]> = { coordinator: [], worker: [], client: [], unknown: [] }
  const seen = new Set<string>()
  for (const c of libp2p.getConnections()) {
    const id = c.remotePeer.toString()
    if (seen.has(id)) continue
    seen.add(id)
    out[await roleOf(libp2p, c.remotePeer)].push(id)
  }
  return out
}
