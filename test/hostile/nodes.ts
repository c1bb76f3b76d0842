// The attacker node and what the hostile-input specs read off a victim: its peer guard, gossipsub's
// own score of a peer and graylist threshold, its open req/resp streams, and whether it still
// answers an honest peer.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { MESH } from '../helpers.js'
import { createMeshLibp2p, type MeshServices } from '../../src/mesh/create-libp2p.js'
import { Domains, Protocols } from '../../src/wire/domains.js'
import { AdminSyncRequest, AdminSyncResponse } from '../../src/wire/pb/admission.js'
import { OPS_PROTOCOL } from '../../src/ops/ops-service.js'
import { rpcCall } from '../../src/rpc/reqresp.js'
import type { PeerGuard } from '../../src/rpc/peer-guard.js'
import type { EdgecoderNode } from '../../src/node/create-node.js'

export async function attackerNode (key?: PrivateKey): Promise<Libp2p<MeshServices>> {
  return await createMeshLibp2p({ privateKey: key ?? await generateKeyPair('Ed25519'), meshId: MESH, listen: ['/ip4/127.0.0.1/tcp/0'], userAgent: 'attacker', services: {} })
}

export const guardOf = (n: EdgecoderNode): PeerGuard => n.libp2p.services.rpcGuard as PeerGuard

/** what gossipsub's implementation offers beyond its interface (@libp2p/gossipsub dist/src/gossipsub.d.ts) */
interface GossipScoring { getScore: (peer: string) => number, opts: { scoreThresholds: { graylistThreshold: number } } }
const scoringOf = (n: EdgecoderNode): GossipScoring => n.libp2p.services.pubsub as unknown as GossipScoring
/** gossipsub's own score of a peer at a node, and the graylist threshold that node's gossipsub runs with */
export const gossipScore = (n: EdgecoderNode, peer: PeerId): number => scoringOf(n).getScore(peer.toString())
export const gossipGraylist = (n: EdgecoderNode): number => scoringOf(n).opts.scoreThresholds.graylistThreshold

/**
 * Fails unless `victim` answers an honest peer's ordinary requests: its admin actions from the start
 * (every node serves admin-sync, and holds at least the mesh's grant of its coordinator) and a ping;
 * a worker must also still take work (no hostile ops notice drained it).
 */
export async function assertAnswers (victim: EdgecoderNode, honest: EdgecoderNode): Promise<void> {
  const signal = AbortSignal.timeout(10_000)
  await honest.libp2p.dial(victim.multiaddrs(), { signal })
  const dialer = { openStream: async (p: PeerId, proto: string, o: { signal: AbortSignal }) => await honest.libp2p.dialProtocol(p, proto, o) }
  const env = await honest.signer.sign(Domains.adminSync, AdminSyncRequest.encode({ from: 0n }), 30_000)
  const res = AdminSyncResponse.decode(await rpcCall(dialer, victim.peerId, Protocols.adminSync, env, { signal }))
  assert.ok(res.actions.length > 0 && res.next === BigInt(res.actions.length), `admin-sync from ${victim.role}: ${res.actions.length} actions, next ${res.next}`)
  assert.ok(await honest.libp2p.services.ping.ping(victim.peerId, { signal }) >= 0)
  if (victim.worker != null) assert.equal(victim.worker.isDraining, false, 'the worker was drained')
}

/** req/resp streams of our protocols open on a node right now (not the long-lived sessions) */
export function openRpcStreams (n: EdgecoderNode): number {
  const ours = new Set<string>([...Object.values(Protocols), OPS_PROTOCOL])
  ours.delete(Protocols.session)
  return n.libp2p.getConnections().flatMap(c => c.streams).filter(s => ours.has(s.protocol ?? '')).length
}
