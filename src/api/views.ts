// The peer view of the control API (`peers`).
import type { EdgecoderNode } from '../node/create-node.js'
import { Protocols } from '../wire/domains.js'

export interface PeerView {
  peerId: string
  role: string
  agent: string
  addresses: string[]
  protocols: string[]
  latencyMs?: number
}

/** Connected peers with their roles (from identify), protocols and a live ping. */
export async function peerTopology (node: EdgecoderNode, signal: AbortSignal): Promise<PeerView[]> {
  const seen = new Map<string, PeerView>()
  for (const conn of node.libp2p.getConnections()) {
    const id = conn.remotePeer.toString()
    if (seen.has(id)) continue
    let protocols: string[] = []
    let agent = ''
    try {
      const p = await node.libp2p.peerStore.get(conn.remotePeer)
      protocols = p.protocols
      const av = p.metadata.get('AgentVersion')
      agent = av != null ? new TextDecoder().decode(av) : ''
    } catch {}
    const roleFromAgent = /role=(\w+)/.exec(agent)?.[1]
    const role = roleFromAgent ?? (protocols.includes(Protocols.claim) ? 'coordinator' : protocols.includes(Protocols.cancel) ? 'worker' : 'unknown')
    seen.set(id, { peerId: id, role, agent, addresses: node.libp2p.getConnections(conn.remotePeer).map(c => c.remoteAddr.toString()), protocols })
  }
  await Promise.all(node.libp2p.getConnections().map(async conn => {
    const v = seen.get(conn.remotePeer.toString())
    if (v == null || v.latencyMs != null) return
    try {
      v.latencyMs = await node.libp2p.services.ping.ping(conn.remotePeer, { signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]) })
    } catch {}
  }))
  return [...seen.values()]
}
