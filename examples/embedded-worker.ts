// An app that embeds an EdgeCoder worker and offers its own executor.
//
//   npm run build && node dist/examples/embedded-worker.js <bootstrap.json>
//
// The worker joins the mesh named in the bootstrap file, offers `noop`, `wasm` and the app's own
// `reverse` executor, logs the jobs it runs, and stops cleanly on Ctrl-C.
// in your own app: import { createNode, ... } from 'edgecoder-node'
import { createNode, type Executor, type ExecutionRequest, type ExecutionOutcome } from '../src/index.js'

/** An app-defined executor: reverses its input. */
const reverse: Executor = {
  name: 'reverse',
  async execute (req: ExecutionRequest): Promise<ExecutionOutcome> {
    req.signal.throwIfAborted()
    const t0 = performance.now()
    const output = new TextEncoder().encode([...new TextDecoder().decode(req.input)].reverse().join(''))
    return { exitCode: 0, output, stderr: new Uint8Array(0), wallMs: performance.now() - t0, cpuMs: 0, maxRssKb: 0 }
  }
}

const bootstrapFile = process.argv[2]
if (bootstrapFile == null) {
  process.stderr.write('usage: node dist/examples/embedded-worker.js <bootstrap.json>\n')
  process.exit(2)
}
// a coordinator in token mode admits workers that enroll with its registration token
const token = process.env.AGENT_REGISTRATION_TOKEN
const node = await createNode({ role: 'worker', bootstrap: bootstrapFile, worker: { executors: [reverse] }, enrollment: { token: token !== '' ? token : undefined } })
node.events.on('admission:status', d => { console.log(`enrollment at ${d.coordinator}: ${d.status}${d.reason !== '' ? ` (${d.reason})` : ''}`) })
node.events.on('work:assigned', d => { console.log(`running ${d.jobId.slice(0, 12)} (${d.executor}) for ${d.coordinator}`) })
node.events.on('work:finished', d => { console.log(`finished ${d.jobId.slice(0, 12)}: exit ${d.exitCode} in ${d.wallMs} ms`) })
console.log(`worker ${node.peerId.toString()} in mesh ${node.meshId}; executors: ${node.executors.join(', ')}`)
process.once('SIGINT', () => { void node.stop() })
