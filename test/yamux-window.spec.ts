// Yamux flow control as the mesh runs it (src/mesh/yamux-window.ts), and only where the mesh runs
// it. A mesh node answers small messages on a long-lived stream without a window update each, still
// grants more window once half is used, and a sender of more than a window's worth never stalls. A
// libp2p node built in the same process with plain `yamux()` keeps the package's behaviour (one
// update per data frame read), on its own connections and on a connection to a mesh node.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import type { Libp2p, Stream } from '@libp2p/interface'
import { createMeshLibp2p } from '../src/mesh/create-libp2p.js'

const PROTOCOL = '/edgecoder-test/yamux-window/1.0.0'
const WINDOW_UPDATE = 1 // yamux FrameType.WindowUpdate
const WINDOW = 256 * 1024 // yamux's initial stream window

interface FrameHeader { type: number, flag: number }

/**
 * Counts, on one stream, the data frames it reads and the plain window updates it sends (no
 * SYN/ACK/FIN/RST flag: frames whose only purpose is to grant window). Both are per-stream
 * functions of the package, so this changes nothing on any other stream.
 */
function frameCounter (stream: Stream): { dataRead: number, updatesSent: number } {
  const s = stream as unknown as { sendFrame: (h: FrameHeader, d?: unknown) => boolean, handleData: (f: unknown) => void }
  const counts = { dataRead: 0, updatesSent: 0 }
  const sendFrame = s.sendFrame
  s.sendFrame = (header, data) => {
    if (header.type === WINDOW_UPDATE && header.flag === 0) counts.updatesSent++
    return sendFrame(header, data)
  }
  const handleData = s.handleData.bind(s)
  s.handleData = (frame) => {
    counts.dataRead++
    handleData(frame)
  }
  return counts
}

async function meshNode (): Promise<Libp2p> {
  return await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), meshId: 'edgecoder-test', listen: ['/ip4/127.0.0.1/tcp/0'], userAgent: 'yamux-window-test', services: {} })
}

/** a libp2p node as anyone else in the process would build one: plain yamux() */
async function stockNode (): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: async () => false }
  })
}

type Counts = ReturnType<typeof frameCounter>

/** The listener's side of every exchange: echo each message back, count the stream's frames. */
function serveEcho (node: Libp2p): { last: () => Promise<{ bytes: number, counts: Counts }> } {
  let done: Promise<{ bytes: number, counts: Counts }> = Promise.reject(new Error('no stream yet'))
  done.catch(() => {})
  void node.handle(PROTOCOL, async (stream) => {
    const counts = frameCounter(stream)
    done = (async () => {
      let bytes = 0
      for await (const chunk of stream) {
        bytes += chunk.byteLength
        if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
      }
      await stream.close()
      return { bytes, counts }
    })()
  })
  return { last: async () => await done }
}

/**
 * One long-lived stream, `messages` requests of `size` bytes, each answered before the next is
 * sent (as on a session stream). Returns both ends' counts.
 */
async function pingPong (from: Libp2p, to: Libp2p, echo: ReturnType<typeof serveEcho>, messages: number, size: number): Promise<{ dialer: Counts, listener: Counts }> {
  const stream = await from.dialProtocol(to.getMultiaddrs()[0], PROTOCOL, { signal: AbortSignal.timeout(10_000) })
  const counts = frameCounter(stream)
  const reader = stream[Symbol.asyncIterator]()
  const msg = new Uint8Array(size).fill(7)
  for (let i = 0; i < messages; i++) {
    if (!stream.send(msg)) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
    let got = 0
    while (got < size) {
      const r = await reader.next()
      assert.ok(r.done !== true, 'the echo ended early')
      got += r.value.byteLength
    }
  }
  await stream.close({ signal: AbortSignal.timeout(10_000) })
  const served = await echo.last()
  assert.equal(served.bytes, messages * size)
  return { dialer: counts, listener: served.counts }
}

/** One stream, `bytes` sent one way as fast as the window allows; returns the receiver's counts. */
async function bulk (from: Libp2p, to: Libp2p, echo: ReturnType<typeof serveEcho>, bytes: number): Promise<Counts> {
  const stream = await from.dialProtocol(to.getMultiaddrs()[0], PROTOCOL, { signal: AbortSignal.timeout(10_000) })
  const draining = (async () => { for await (const _ of stream) { /* the echo, unread */ } })()
  const chunk = new Uint8Array(1024).fill(7)
  for (let sent = 0; sent < bytes; sent += chunk.byteLength) {
    if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
  }
  await stream.close({ signal: AbortSignal.timeout(10_000) })
  const served = await echo.last()
  await draining
  assert.equal(served.bytes, bytes)
  return served.counts
}

describe('yamux window updates: the mesh\'s muxer, and only it', function () {
  this.timeout(60_000)
  const ROUNDS = 300
  const SMALL = 100
  let meshA: Libp2p
  let meshB: Libp2p
  let stockC: Libp2p
  let stockD: Libp2p
  let echoB: ReturnType<typeof serveEcho>
  let echoD: ReturnType<typeof serveEcho>

  before(async () => {
    // all four in one process, at once: a change that reached every yamux stream in the process
    // would show on the stock nodes
    meshA = await meshNode()
    meshB = await meshNode()
    stockC = await stockNode()
    stockD = await stockNode()
    echoB = serveEcho(meshB)
    echoD = serveEcho(stockD)
  })

  after(async () => {
    await Promise.allSettled([meshA, meshB, stockC, stockD].map(async n => await n?.stop()))
  })

  it('mesh to mesh: small messages on a long-lived stream cost no window updates, either way', async () => {
    const { dialer, listener } = await pingPong(meshA, meshB, echoB, ROUNDS, SMALL)
    assert.ok(dialer.dataRead >= ROUNDS && listener.dataRead >= ROUNDS, `data frames read: ${dialer.dataRead}, ${listener.dataRead}`)
    // the stock package sends one per data frame read: ~300 on each end here
    assert.ok(dialer.updatesSent <= 1, `window updates sent by the dialer: ${dialer.updatesSent}`)
    assert.ok(listener.updatesSent <= 1, `window updates sent by the listener: ${listener.updatesSent}`)
  })

  it('stock yamux() in the same process still sends one window update per data frame read', async () => {
    const { dialer, listener } = await pingPong(stockC, stockD, echoD, ROUNDS, SMALL)
    for (const [end, c] of [['dialer', dialer], ['listener', listener]] as const) {
      assert.ok(c.dataRead >= ROUNDS, `${end}: data frames read ${c.dataRead}`)
      assert.ok(c.updatesSent >= c.dataRead - 1, `${end}: ${c.updatesSent} window updates for ${c.dataRead} data frames`)
    }
  })

  it('mesh node and stock node on one connection: each end keeps its own rule', async () => {
    const echoC = serveEcho(stockC)
    const { dialer, listener } = await pingPong(meshA, stockC, echoC, ROUNDS, SMALL)
    assert.ok(dialer.updatesSent <= 1, `the mesh end sent ${dialer.updatesSent} window updates`)
    assert.ok(listener.updatesSent >= listener.dataRead - 1 && listener.dataRead >= ROUNDS,
      `the stock end sent ${listener.updatesSent} window updates for ${listener.dataRead} data frames`)
  })

  it('mesh to mesh: a transfer of several windows completes, with about one update per half window', async () => {
    const bytes = 2 * 1024 * 1024 // eight initial windows
    const r = await bulk(meshA, meshB, echoB, bytes)
    assert.ok(r.updatesSent >= 2, `the receiver granted more window (${r.updatesSent} updates)`)
    assert.ok(r.updatesSent <= bytes / (WINDOW / 2) + 2, `no more than one update per half window: ${r.updatesSent}`)
  })
})
