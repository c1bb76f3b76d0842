// The README's "Run a mesh by hand" and ledger blocks, run as a new user would paste them into a
// script: bash -e, real daemons in their own processes. Only the data-dir root, the two fixed ports
// and the repository's path are substituted, so the blocks cannot drift from what works.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { Fixture, freePort } from './helpers.js'

const REPO = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '')

/** The ```sh blocks of a README section, in order. */
function shBlocks (readme: string, heading: string, until: string): string[] {
  const start = readme.indexOf(heading)
  const end = readme.indexOf(until, start + heading.length)
  assert.ok(start >= 0 && end > start, `README has "${heading}" followed by "${until}"`)
  return [...readme.slice(start, end).matchAll(/```sh\n([\s\S]*?)```/g)].map(m => m[1])
}

describe('README: the commands run as written', function () {
  this.timeout(240_000)
  const fx = new Fixture()
  after(async () => { await fx.cleanup() })

  it('"Run a mesh by hand" and the ledger block succeed in one bash -e script', async () => {
    const readme = await readFile(`${REPO}/README.md`, 'utf8')
    const blocks = shBlocks(readme, '## Run a mesh by hand', '## Embed it')
    assert.equal(blocks.length, 2, 'the mesh block and the ledger block')
    const root = await fx.dir('edgecoder-readme-')
    const [p1, p2] = [await freePort(), await freePort()]
    // /tmp/ first: the repository itself may live under /tmp (CI's clone does)
    const script = blocks.join('\n')
      .replaceAll('/tmp/', `${root}/`)
      .replace(/^npm run build.*$/m, ': built by the test command already')
      .replaceAll('"$PWD/bin/edgecoder-node.js"', `"${REPO}/bin/edgecoder-node.js"`)
      .replaceAll('examples/wasm/', `${REPO}/examples/wasm/`)
      .replaceAll('/tcp/4001', `/tcp/${p1}`)
      .replaceAll('/tcp/4002', `/tcp/${p2}`)
    const wrapped = `set -euo pipefail\ncd ${JSON.stringify(root)}\ntrap 'kill $(jobs -p) 2>/dev/null || true; wait' EXIT\n${script}\necho README-OK\n`
    const child = spawn('bash', ['-c', wrapped], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGECODER_LOG_LEVEL: 'warn' } })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const code = await new Promise<number | null>(resolve => {
      const t = setTimeout(() => { child.kill('SIGKILL') }, 200_000)
      child.once('exit', c => { clearTimeout(t); resolve(c) })
    })
    // the README starts daemons with `&` through a shell function, so each is a child of a subshell
    // that the script's `kill $(jobs -p)` ends without it: stop every daemon of this run's data dirs
    spawnSync('pkill', ['-TERM', '-f', `data-dir ${root}/`])
    const said = out.split('\n').filter(l => !l.startsWith('{')).join('\n')
    if (process.env.README_SPEC_PRINT === "1") console.log(said)
    assert.equal(code, 0, said.slice(-4000))
    assert.ok(out.includes('README-OK'))
    // what the comments promise
    assert.match(said, /^hello mesh$/m)
    assert.match(said, /SHOUT/)
    assert.match(said, /from the client/)
    assert.match(said, /granted .*"second"/)
    assert.match(said, /^ok/m, 'the offline audit')
  })
})
