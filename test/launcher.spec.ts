// bin/edgecoder-node.js on a Node older than 22 runs the CLI as its child: killing the launcher, even
// with SIGKILL (what `kill -9 $!` and a service manager's last resort send), stops the daemon too.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { Fixture, waitFor } from './helpers.js'
import { CLI, cli, startDaemon, stopDaemon } from './cli-helpers.js'

/** A Node older than 22 on PATH (the machines' Node 20), else null: then the child path is forced. */
function oldNode (): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || dir.includes('node_modules')) continue
    const bin = join(dir, 'node')
    if (!existsSync(bin)) continue
    const v = spawnSync(bin, ['-p', 'process.versions.node']).stdout?.toString().trim() ?? ''
    if (Number(v.split('.')[0]) < 22) return bin
  }
  return null
}

function alive (pid: number): boolean {
  try { process.kill(pid, 0) } catch { return false }
  // a zombie nobody has reaped yet has exited
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) } catch { return true }
}

describe('the launcher (bin/edgecoder-node.js)', function () {
  this.timeout(90_000)
  const fx = new Fixture()
  after(async () => { await fx.cleanup() })

  for (const how of ['SIGKILL', 'SIGTERM'] as const) {
    it(`the daemon it started stops when the launcher gets ${how}, and the data dir is free again`, async () => {
      const dir = join(await fx.dir(), 'c')
      assert.equal((await cli(['init', '--data-dir', dir, '--role', 'coordinator'])).code, 0)
      const old = oldNode()
      const node = old ?? process.execPath
      const launcher = spawn(node, [CLI, 'start', '--data-dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--admission', 'open'], {
        stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(old == null ? { EDGECODER_LAUNCHER_CHILD: '1' } : {}) }
      })
      let logs = ''
      launcher.stdout.on('data', (d: Buffer) => { logs += d.toString() })
      launcher.stderr.on('data', (d: Buffer) => { logs += d.toString() })
      let pid = 0
      try {
        await waitFor(async () => {
          try { pid = (JSON.parse(await readFile(join(dir, 'api.json'), 'utf8')) as { pid: number }).pid } catch { return false }
          return logs.includes('node started')
        }, 30_000, `the daemon to start\n${logs}`)
        // the daemon is the launcher's child, not the launcher itself: the case this is about
        assert.notEqual(pid, launcher.pid)
        assert.ok(alive(pid))
        const exited = new Promise(resolve => launcher.once('exit', resolve))
        launcher.kill(how)
        await exited
        await waitFor(() => !alive(pid), 30_000, `daemon ${pid} to stop after its launcher got ${how}\n${logs}`)
      } finally {
        if (pid !== 0 && alive(pid)) process.kill(pid, 'SIGKILL')
      }
      // it stopped as on SIGTERM: stores closed, api.json gone
      assert.match(logs, /"msg":"stopped"/, logs)
      assert.equal(existsSync(join(dir, 'api.json')), false)
      const again = await startDaemon(dir, ['--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0'])
      assert.equal(await stopDaemon(again), 0)
    })
  }
})
