// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package, so a profile
// of the throughput path can be read without a browser.
//   node dist/bench/profile-summary.js <file.cpuprofile> [top]
import { readFileSync } from 'node:fs'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

const file = process.argv[2]
const top = Number(process.argv[3] ?? 25)
if (file == null) { process.stderr.write('usage: profile-summary <file.cpuprofile> [top]\n'); process.exit(2) }
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(p.nodes.map(n => [n.id, n]))
const self = new Map<number, number>()
p.samples.forEach((id, i) => { self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)) })
const total = [...self.values()].reduce((a, b) => a + b, 0)
const pkg = (url: string): string => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m != null) return m[1]
  if (url.includes('/dist/src/')) return 'edgecoder:' + url.slice(url.indexOf('/dist/src/') + 10)
  if (url.includes('/dist/bench/')) return 'bench'
  if (url.startsWith('node:')) return url
  return url === '' ? '(native/gc/idle)' : url
}
const fn = new Map<string, number>()
const pk = new Map<string, number>()
for (const [id, t] of self) {
  const n = byId.get(id)
  if (n == null) continue
  const name = `${n.callFrame.functionName || '(anon)'} ${pkg(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`
  fn.set(name, (fn.get(name) ?? 0) + t)
  pk.set(pkg(n.callFrame.url), (pk.get(pkg(n.callFrame.url)) ?? 0) + t)
}
const show = (title: string, m: Map<string, number>): void => {
  process.stdout.write(`\n${title} (total ${(total / 1000).toFixed(0)} ms)\n`)
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${(100 * v / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}\n`)
}
show('self time by package', pk)
show('self time by function', fn)
