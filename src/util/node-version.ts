// Evaluated before anything else the package loads (the first import of src/index.ts): libp2p 3
// needs Node >= 22, and on an older Node it fails much later with "Promise.withResolvers is not a
// function". Say so at import, by name.
import { UnsupportedRuntimeError } from '../errors/index.js'

export const MIN_NODE_MAJOR = 22

/** Throws UnsupportedRuntimeError when `version` (e.g. process.versions.node) is older than Node 22. */
export function checkNodeVersion (version: string): void {
  const major = Number(version.split('.')[0])
  if (!(major >= MIN_NODE_MAJOR)) {
    throw new UnsupportedRuntimeError(`edgecoder-node needs Node >= ${MIN_NODE_MAJOR} (libp2p 3); this is Node ${version}. Run it with a newer Node (the npm scripts and bin/edgecoder-node.js use the one in node_modules).`)
  }
}

checkNodeVersion(process.versions.node)
