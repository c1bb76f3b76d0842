// This node and its connections: /v1/node, /v1/peers.
import { peerTopology } from '../views.js'
import { json, type Route } from '../route.js'

export const nodeRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/v1/node',
    handle: async ({ node }) => json({
      peerId: node.peerId.toString(),
      role: node.role,
      meshId: node.meshId,
      multiaddrs: node.multiaddrs().map(m => m.toString()),
      executors: node.role === 'worker' ? node.worker?.offered ?? [] : [],
      queueDepth: node.coordinator?.queueDepth(),
      noteKey: node.ledger?.noteKey,
      pid: process.pid
    })
  },
  { method: 'GET', path: '/v1/peers', handle: async ({ node, signal }) => json({ peers: await peerTopology(node, signal) }) }
]
