// Yamux flow control as the mesh runs it (src/mesh/yamux-window.ts): a receiver answers small
// messages without a window update each, still grants more window once half is used, and a sender
// of more than a window's worth never stalls.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p, Stream } from '@libp2p/interface'
import { createMeshLibp2p, type MeshServices } from '../src/mesh/create-libp2p.js'

const PROTOCOL = '/edgecoder-test/yamux-window/1.0.0'
const WINDOW_UPDATE = 1 // yamux FrameType.WindowUpdate

interface FrameHeader { type: number }
type SendFrame = (header: FrameHeader, data?: unknown) => void

/** Counts the window updates one stream sends (its frame writer is a per-stream function). */
function countWindowUpdates (stream: Stream): { count: () => number } {
  const s = stream as unknown as { sendFrame: SendFrame }
  const send = s.sendFrame
  let n = 0
  s.sendFrame = (header, data) => {
    if (header.type === WINDOW_UPDATE) n++
    send(header, data)
  }
  return { count: () => n }
}

async function node (): Promise<Libp2p<MeshServices>> {
  return await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), meshId: 'edgecoder-test', listen: ['/ip4/127.0.0.1/tcp/0'], userAgent: 'yamux-window-test', services: {} })
}

describe('yamux flow control on mesh connections', function () {
  this.timeout(60_000)
  let a: Libp2p<MeshServices>
  let b: Libp2p<MeshServices>
  let received: Promise<{ bytes: number, updates: number }>

  beforeEach(async () => {
    a = await node()
    b = await node()
    received = new Promise(resolve => {
      void b.handle(PROTOCOL, async (stream) => {
        const updates = countWindowUpdates(stream)
        let bytes = 0
        for await (const chunk of stream) bytes += chunk.byteLength
        resolve({ bytes, updates: updates.count() })
        await stream.close()
      })
    })
  })

  afterEach(async () => {
    await Promise.allSettled([a.stop(), b.stop()])
  })

  async function send (messages: number, size: number): Promise<{ bytes: number, updates: number }> {
    const stream = await a.dialProtocol(b.getMultiaddrs()[0], PROTOCOL, { signal: AbortSignal.timeout(10_000) })
    const msg = new Uint8Array(size).fill(7)
    for (let i = 0; i < messages; i++) {
      if (!stream.send(msg)) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
      // one frame each: give the receiver a turn between messages, as requests on a session do
      if (i % 10 === 0) await new Promise(resolve => setImmediate(resolve))
    }
    await stream.close({ signal: AbortSignal.timeout(10_000) })
    return await received
  }

  it('many small messages (far less than half a window) cost no window updates', async () => {
    const r = await send(400, 100)
    assert.equal(r.bytes, 400 * 100)
    // stock @libp2p/yamux 8 sends one per data frame read: about 400 here
    assert.ok(r.updates <= 1, `window updates sent: ${r.updates}`)
  })

  it('a transfer of several windows completes, with an update per half window or so', async () => {
    const window = 256 * 1024
    const r = await send(2 * 1024, 1024) // 2 MB: eight initial windows
    assert.equal(r.bytes, 2 * 1024 * 1024)
    assert.ok(r.updates >= 2, `the receiver granted more window (${r.updates} updates)`)
    assert.ok(r.updates <= (2 * 1024 * 1024) / (window / 2) + 2, `no more than one update per half window: ${r.updates}`)
  })
})
