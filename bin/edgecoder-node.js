#!/usr/bin/env node
// Launcher that works on any Node: libp2p 3 needs Node >= 22, so on an older Node this re-runs the
// CLI with the Node 24 that `npm install` placed in node_modules (the `node` devDependency).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const cli = join(root, 'dist', 'src', 'cli', 'main.js')
if (!existsSync(cli)) {
  process.stderr.write(`edgecoder-node is not built yet: run "npm run build" (or "npm start") in ${root}\n`)
  process.exit(1)
}
const major = Number(process.versions.node.split('.')[0])
// EDGECODER_LAUNCHER_CHILD=1 takes the child path on any Node (the tests use it where no old Node is installed)
if (major >= 22 && process.env.EDGECODER_LAUNCHER_CHILD !== '1') {
  await import(cli)
} else {
  const local = major >= 22 ? process.execPath : join(root, 'node_modules', 'node', 'bin', 'node')
  if (!existsSync(local)) {
    process.stderr.write(`edgecoder-node needs Node >= 22 (this is ${process.versions.node}); run "npm install" in ${root} to fetch one\n`)
    process.exit(1)
  }
  const env = { ...process.env, EDGECODER_LAUNCHER_FD: '3' }
  delete env.EDGECODER_LAUNCHER_CHILD
  // Node cannot exec(2), so the CLI runs as a child. fd 3 is a pipe only this process holds open:
  // when the launcher dies, even by SIGKILL, the kernel closes it and the child (src/cli/launcher-watch.ts)
  // stops as on SIGTERM, releasing the data dir, instead of running on unsupervised
  const child = spawn(local, [cli, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], env })
  // forward stop signals so `kill <launcher pid>` shuts the daemon down cleanly
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { child.kill(sig) })
  child.on('error', err => { process.stderr.write(`edgecoder-node: cannot run ${local}: ${err.message}\n`); process.exit(1) })
  child.on('exit', (code, signal) => { process.exit(code ?? (signal != null ? 128 + (constants.signals[signal] ?? 0) : 1)) })
}
