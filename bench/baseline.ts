// The raw libp2p baseline, measured in the same run as the mesh figures: two nodes built by the
// mesh's own createMeshLibp2p (TCP + noise + yamux, same services and gossipsub settings), with no
// edgecoder service on top. Request/response round trips on fresh streams (one length-prefixed
// frame each way, the rpc layer's stream options) and gossipsub one-hop latency (StrictSign).
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import type { Libp2p, Stream } from '@libp2p/interface'
import { createMeshLibp2p, type MeshServices } from '../src/mesh/create-libp2p.js'
import { jobsTopic } from '../src/wire/domains.js'
import { median, nowMs, percentile, round, sleep, waitUntil } from './lib/stats.js'

const MESH = 'edgecoder-baseline'
const PROTO = '/edgecoder-bench/echo/1.0.0'

export interface BaselineResult {
  /** concurrent request/response round trips per second, each on a fresh stream */
  rawRpcPerSec: number
  concurrency: number
  /** one round trip at a time: median latency */
  rawRpcSeqMedianMs: number
  rawRpcSeqP99Ms: number
  gossipP50Ms: number
  gossipP99Ms: number
  gossipSamples: number
  rounds: Array<{ rpcPerSec: number, gossipP99Ms: number }>
}

async function node (): Promise<Libp2p<MeshServices>> {
  return await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), meshId: MESH, listen: ['/ip4/127.0.0.1/tcp/0'], userAgent: 'edgecoder-bench/baseline', services: {} })
}

async function roundTrip (a: Libp2p, b: Libp2p, payload: Uint8Array, signal: AbortSignal): Promise<void> {
  let stream: Stream | undefined
  try {
    stream = await a.dialProtocol(b.peerId, PROTO, { signal, negotiateFully: false, maxOutboundStreams: 1024 })
    const lp = lpStream(stream)
    await lp.write(payload, { signal })
    await lp.read({ signal })
    await stream.close({ signal })
  } catch (err) {
    stream?.abort(err as Error)
    throw err
  }
}

export async function measureBaseline (opts: { rounds: number, rpcSeconds: number, concurrency: number, gossipMessages: number, signal: AbortSignal }): Promise<BaselineResult> {
  const a = await node()
  const b = await node()
  try {
    await b.handle(PROTO, async (stream) => {
      const lp = lpStream(stream)
      try {
        const req = await lp.read({ signal: AbortSignal.timeout(10_000) })
        await lp.write(req.subarray())
        await stream.close()
      } catch (err) {
        stream.abort(err as Error)
      }
    }, { maxInboundStreams: 1024 })
    await a.dial(b.getMultiaddrs())
    const payload = new Uint8Array(200).fill(7)
    const topic = jobsTopic(MESH)
    b.services.pubsub.subscribe(topic)
    a.services.pubsub.subscribe(topic)
    await waitUntil(() => a.services.pubsub.getSubscribers(topic).some(p => p.equals(b.peerId)), 10_000, 'gossip subscription', opts.signal)
    await sleep(1_500, opts.signal)
    const gossipLat: number[] = []
    b.services.pubsub.addEventListener('message', evt => {
      if (evt.detail.topic !== topic) return
      const sent = new DataView(evt.detail.data.buffer, evt.detail.data.byteOffset, 8).getFloat64(0)
      gossipLat.push(nowMs() - sent)
    })
    for (let i = 0; i < 50; i++) await roundTrip(a, b, payload, opts.signal)
    const rounds: BaselineResult['rounds'] = []
    const seq: number[] = []
    const allGossip: number[] = []
    for (let r = 0; r < opts.rounds; r++) {
      // sequential latency
      for (let i = 0; i < 200; i++) {
        const t = nowMs()
        await roundTrip(a, b, payload, opts.signal)
        seq.push(nowMs() - t)
      }
      // concurrent throughput
      let done = 0
      const until = nowMs() + opts.rpcSeconds * 1000
      const t0 = nowMs()
      await Promise.all(Array.from({ length: opts.concurrency }, async () => {
        while (nowMs() < until) { await roundTrip(a, b, payload, opts.signal); done++ }
      }))
      const rpcPerSec = done / ((nowMs() - t0) / 1000)
      // gossip one hop, paced at one message per 2 ms, announcement-sized
      gossipLat.length = 0
      for (let i = 0; i < opts.gossipMessages; i++) {
        const msg = new Uint8Array(250)
        new DataView(msg.buffer).setFloat64(0, nowMs())
        msg[8] = r; msg[9] = i & 0xff; msg[10] = i >> 8
        await a.services.pubsub.publish(topic, msg)
        await sleep(2, opts.signal)
      }
      await waitUntil(() => gossipLat.length >= opts.gossipMessages, 10_000, 'gossip messages to arrive', opts.signal).catch(() => {})
      rounds.push({ rpcPerSec: round(rpcPerSec, 0), gossipP99Ms: round(percentile(gossipLat, 99)) })
      allGossip.push(...gossipLat)
    }
    return {
      rawRpcPerSec: round(median(rounds.map(r => r.rpcPerSec)), 0),
      concurrency: opts.concurrency,
      rawRpcSeqMedianMs: round(median(seq)),
      rawRpcSeqP99Ms: round(percentile(seq, 99)),
      gossipP50Ms: round(percentile(allGossip, 50)),
      gossipP99Ms: round(percentile(allGossip, 99)),
      gossipSamples: allGossip.length,
      rounds
    }
  } finally {
    await a.stop()
    await b.stop()
  }
}
