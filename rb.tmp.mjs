import { generateKeyPair } from '@libp2p/crypto/keys'
import { createMeshLibp2p } from '/work/main/dist/src/mesh/create-libp2p.js'
import { RpcServer, rpcCall } from '/work/main/dist/src/rpc/reqresp.js'
import { createSigner } from '/work/main/dist/src/wire/signed.js'
import { pbStream } from '@libp2p/utils'
const mk = async () => createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), meshId: 'm', listen: ['/ip4/127.0.0.1/tcp/0'], userAgent: 'x', services: {} })
const a = await mk(), b = await mk()
const comps = { registrar: { handle: (p, h, o) => b.handle(p, h, o), unhandle: p => b.unhandle(p) }, logger: { forComponent: () => Object.assign(() => {}, { error() {}, trace() {} }) } }
const srv = new RpcServer(comps, 't')
await srv.register({ protocol: '/t/1', handle: async () => new Uint8Array([1]) })
await a.dial(b.getMultiaddrs())
const s = createSigner(await generateKeyPair('Ed25519'), 'm')
const env = await s.sign('/d', new Uint8Array(10), 10000)
const dialer = { openStream: (p, proto, o) => a.dialProtocol(p, proto, o) }
for (let i = 0; i < 3; i++) await rpcCall(dialer, b.peerId, '/t/1', env)
let t = performance.now()
for (let i = 0; i < 50; i++) await rpcCall(dialer, b.peerId, '/t/1', env)
console.log('rpcCall ms', ((performance.now() - t) / 50).toFixed(2))
// raw echo for comparison
await b.handle('/echo/1', async (stream) => { for await (const c of stream) { stream.send(c.subarray ? c.subarray() : c) } await stream.close() })
t = performance.now()
for (let i = 0; i < 50; i++) {
  const st = await a.dialProtocol(b.peerId, '/echo/1')
  st.send(new Uint8Array([1,2,3]))
  for await (const c of st) { break }
  await st.close()
}
console.log('raw echo ms', ((performance.now() - t) / 50).toFixed(2))
await a.stop(); await b.stop()
