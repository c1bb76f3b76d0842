// The README's "Embed it" snippet, exactly as printed there (test/examples.spec.ts checks both the
// text and that it runs): a worker and a client embedded in one app.
//
//   cd DIR_WITH_bootstrap.json && AGENT_REGISTRATION_TOKEN=... APP_TOKEN=... node dist/examples/readme-embed.js
// --- README ---
import { createNode } from '../src/index.js'

// the bootstrap file a coordinator wrote: its peers and the mesh's admin keys (only granted
// coordinators get work); workers and clients enroll with a registration token from an admin
const worker = await createNode({ role: 'worker', bootstrap: 'bootstrap.json', enrollment: { token: process.env.AGENT_REGISTRATION_TOKEN } })
worker.events.on('admission:status', e => { console.log(`worker at ${e.coordinator}: ${e.status} ${e.reason}`) })
worker.events.on('work:finished', e => { console.log(`ran ${e.jobId.slice(0, 12)}: exit ${e.exitCode}`) })

// an app that submits work is a client: its jobs are accepted once an admin approved it
const client = await createNode({ role: 'client', bootstrap: 'bootstrap.json', enrollment: { token: process.env.APP_TOKEN } })
process.once('SIGINT', () => { void Promise.all([worker.stop(), client.stop()]) })
while (!Object.values(client.admission.standing()).some(s => s.status === 'active')) {
  await new Promise(resolve => setTimeout(resolve, 100))
}
const id = await client.jobs.submit({ executor: 'noop', input: 'hello mesh' }, {
  onProgress: e => { if (e.type === 'edgecoder:submit:accepted') console.log(`accepted by ${e.detail.coordinator}`) }
})
// WaitTimeoutError after 60 s, saying where the job is; a line for each state it enters until then
const done = await client.jobs.wait(id, { timeoutMs: 60_000, onProgress: e => { console.log(e.detail.line) } })
console.log(done.state, new TextDecoder().decode(done.output))
await Promise.all([worker.stop(), client.stop()])
