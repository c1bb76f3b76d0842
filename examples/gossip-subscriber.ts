// A third-party subscriber: a plain libp2p node that listens to a mesh's job announcements and
// decodes them with nothing but protocols/*.proto (through the protons-generated codecs under
// examples/pb/) — no code from src/.
//
//   npm run build && node dist/examples/gossip-subscriber.js <bootstrap.json>
import { readFile } from 'node:fs/promises'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { gossipsub } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import { SignedEnvelope, SignedPayload } from './pb/envelope.js'
import { JobAnnouncement } from './pb/jobs.js'

export interface Announcement { coordinator: string, jobId: string, executor: string, attempt: number, offeredPrice: bigint, expiresAt: Date }

/** Decodes one gossip message of the jobs topic; the signature check is the mesh's job, shown in docs/protocols.md. */
export function decodeAnnouncement (data: Uint8Array): Announcement {
  const env = SignedEnvelope.decode(data)
  const payload = SignedPayload.decode(env.payload)
  if (payload.domain !== '/edgecoder/announce/1.0.0') throw new Error(`not an announcement: ${payload.domain}`)
  const a = JobAnnouncement.decode(payload.body)
  return { coordinator: '', jobId: a.jobId, executor: a.executor, attempt: a.attempt, offeredPrice: a.offeredPrice, expiresAt: new Date(Number(payload.expiresAtMs)) }
}

export async function subscribe (bootstrap: { meshId: string, peers: string[] }, onAnnouncement: (a: Announcement) => void, signal: AbortSignal): Promise<void> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: async () => false },
    services: { identify: identify(), pubsub: gossipsub({ globalSignaturePolicy: 'StrictSign' }) }
  })
  const topic = `/edgecoder/${bootstrap.meshId}/jobs/1.0.0`
  node.services.pubsub.subscribe(topic)
  node.services.pubsub.addEventListener('message', evt => {
    if (evt.detail.topic !== topic || evt.detail.type !== 'signed') return
    try {
      onAnnouncement({ ...decodeAnnouncement(evt.detail.data), coordinator: evt.detail.from.toString() })
    } catch { /* not ours to judge: skip */ }
  })
  for (const p of bootstrap.peers) await node.dial(multiaddr(p), { signal }).catch(() => {})
  await new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
  await node.stop()
}

if (process.argv[1]?.endsWith('gossip-subscriber.js') === true) {
  const file = process.argv[2]
  if (file == null) {
    process.stderr.write('usage: node dist/examples/gossip-subscriber.js <bootstrap.json>\n')
    process.exit(2)
  }
  const boot = JSON.parse(await readFile(file, 'utf8')) as { meshId: string, peers: string[] }
  const controller = new AbortController()
  process.once('SIGINT', () => { controller.abort() })
  console.log(`listening for job announcements on /edgecoder/${boot.meshId}/jobs/1.0.0`)
  await subscribe(boot, a => { console.log(`${a.coordinator} announced ${a.jobId.slice(0, 12)} executor=${a.executor} attempt=${a.attempt} price=${a.offeredPrice}`) }, controller.signal)
}
