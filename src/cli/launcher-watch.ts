// The CLI run as a child of bin/edgecoder-node.js (on a Node older than 22) stops when the launcher
// goes. The launcher holds the write end of a pipe on our fd 3 (EDGECODER_LAUNCHER_FD); the kernel
// closes it whenever the launcher exits, SIGKILL included, and the read end then ends here.
import { Socket } from 'node:net'

export function watchLauncher (env: NodeJS.ProcessEnv = process.env): void {
  const fd = env.EDGECODER_LAUNCHER_FD
  if (fd == null) return
  // not for the commands this process runs (a process executor's child is not our launcher's)
  delete env.EDGECODER_LAUNCHER_FD
  if (!/^\d+$/.test(fd)) return
  let pipe: Socket
  try {
    pipe = new Socket({ fd: Number(fd), readable: true, writable: false })
  } catch {
    return
  }
  let gone = false
  const orphaned = (): void => {
    if (gone) return
    gone = true
    // the same path as a service manager's stop: a daemon drains, closes its stores and api.json
    process.kill(process.pid, 'SIGTERM')
  }
  pipe.on('data', () => {})
  pipe.on('end', orphaned)
  pipe.on('close', orphaned)
  pipe.on('error', orphaned)
  // a short command still exits as soon as it is done
  pipe.unref()
}
