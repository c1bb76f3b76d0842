#!/usr/bin/env node
// Launcher that works on any Node: libp2p 3 needs Node >= 22, so on an older Node this re-runs the
// CLI with the Node 24 that `npm install` placed in node_modules (the `node` devDependency).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const cli = join(root, 'dist', 'src', 'cli', 'main.js')
if (!existsSync(cli)) {
  process.stderr.write(`edgecoder-node is not built yet: run "npm run build" (or "npm start") in ${root}\n`)
  process.exit(1)
}
const major = Number(process.versions.node.split('.')[0])
if (major >= 22) {
  await import(cli)
} else {
  const local = join(root, 'node_modules', 'node', 'bin', 'node')
  if (!existsSync(local)) {
    process.stderr.write(`edgecoder-node needs Node >= 22 (this is ${process.versions.node}); run "npm install" in ${root} to fetch one\n`)
    process.exit(1)
  }
  const child = spawn(local, [cli, ...process.argv.slice(2)], { stdio: 'inherit' })
  // forward stop signals so `kill <launcher pid>` shuts the daemon down cleanly
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { child.kill(sig) })
  child.on('exit', (code, signal) => { process.exit(code ?? (signal != null ? 128 : 1)) })
}
