// `jobs submit --wait`: follows the job through the daemon's API, shows each change on a terminal
// (stderr, so stdout stays the result), and after `--timeout` says where the job is and that it
// goes on — or, with `--cancel-on-timeout`, cancels it.
import { callDaemon } from './api-client.js'
import { parseDuration, str } from './args.js'
import { InvalidArgumentError } from '../errors/index.js'
import { isTerminal, progressLines, whereItIs } from '../jobs/wait.js'
import { WaitTimeoutError } from '../errors/index.js'
import type { JobStatusJson } from '../jobs/status-json.js'

export const WAIT_OPTIONS = {
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  'cancel-on-timeout': { type: 'boolean' },
  progress: { type: 'boolean' }
} as const

export interface WaitFlags { timeoutMs?: number, cancelOnTimeout: boolean, progress: boolean }

/** The --wait flags, checked before anything is submitted; undefined without --wait. */
export function waitFlags (values: Record<string, unknown>): WaitFlags | undefined {
  const timeout = str(values.timeout)
  const cancelOnTimeout = values['cancel-on-timeout'] === true
  if (values.wait !== true) {
    if (timeout != null || cancelOnTimeout || values.progress === true) throw new InvalidArgumentError('--timeout, --cancel-on-timeout and --progress go with --wait (the job\'s own run-time limit is --timeout-ms)')
    return undefined
  }
  if (cancelOnTimeout && timeout == null) throw new InvalidArgumentError('--cancel-on-timeout needs --timeout DURATION')
  return {
    timeoutMs: timeout != null ? parseDuration(timeout, '--timeout') : undefined,
    cancelOnTimeout,
    // progress is for a person at a terminal; --progress asks for it anywhere
    progress: values.progress === true || (process.stderr.isTTY && values.json !== true)
  }
}

const POLL_MS = 100

/**
 * Waits for job `id`; prints its result as `describe` renders it (or the JSON). On a timeout,
 * prints the status it was in (--json) and throws WaitTimeoutError naming it.
 */
export async function waitAndPrint (dataDir: string, id: string, flags: WaitFlags, json: boolean, describe: (j: JobStatusJson) => string): Promise<void> {
  const started = Date.now()
  // each line carries the time the job entered that state, from its submission
  const say = (line: string, at: number): void => {
    if (flags.progress) process.stderr.write(`[${(Math.max(0, at - started) / 1000).toFixed(1).padStart(5)}s] ${line}\n`)
  }
  say(`submitted ${id}`, started)
  let seen = 0
  for (;;) {
    const j = await callDaemon<JobStatusJson>(dataDir, 'GET', `/v1/jobs/${id}`)
    for (const p of progressLines(seen, j)) say(p.line, Date.parse(j.timestamps[p.index].at))
    seen = j.timestamps.length
    if (isTerminal(j.state)) {
      const r = await callDaemon<JobStatusJson>(dataDir, 'GET', `/v1/jobs/${id}/result`)
      if (r.result != null) say(`result: exit ${r.result.exitCode}${r.result.error !== '' ? `, ${r.result.error}` : ''}, ${r.result.output.length} bytes of output`, Date.now())
      printResult(r, json, describe)
      return
    }
    const waited = Date.now() - started
    if (flags.timeoutMs != null && waited >= flags.timeoutMs) {
      await giveUp(dataDir, id, j, flags, json, describe)
      return
    }
    await new Promise(resolve => setTimeout(resolve, Math.min(POLL_MS, Math.max(1, (flags.timeoutMs ?? Infinity) - waited))))
  }
}

async function giveUp (dataDir: string, id: string, j: JobStatusJson, flags: WaitFlags, json: boolean, describe: (j: JobStatusJson) => string): Promise<void> {
  const after = `after ${flags.timeoutMs ?? 0} ms`
  if (!flags.cancelOnTimeout) {
    if (json) process.stdout.write(JSON.stringify({ ...j, timedOut: true }, null, 2) + '\n')
    const next = j.state === 'queued' ? 'it keeps its place in the queue' : 'it goes on'
    throw new WaitTimeoutError(`gave up waiting ${after}: job ${id} is ${whereItIs(j)}; ${next}. Follow it with \`edgecoder-node jobs status ${id}\`, or cancel it with \`edgecoder-node jobs cancel ${id}\``)
  }
  let c: JobStatusJson
  try {
    c = await callDaemon<JobStatusJson>(dataDir, 'POST', `/v1/jobs/${id}/cancel`)
  } catch (err) {
    // it ended between the last look and the cancel: that is its result
    if ((err as Error).name !== 'InvalidStateError') throw err
    printResult(await callDaemon<JobStatusJson>(dataDir, 'GET', `/v1/jobs/${id}/result`), json, describe)
    return
  }
  if (json) process.stdout.write(JSON.stringify({ ...c, timedOut: true }, null, 2) + '\n')
  throw new WaitTimeoutError(`gave up waiting ${after} and cancelled job ${id} (it was ${whereItIs(j).replace(/^still /, '')}); its held credits are released`)
}

/** The finished job on stdout (its output after the description); exit 1 unless it succeeded. */
function printResult (r: JobStatusJson, json: boolean, describe: (j: JobStatusJson) => string): void {
  process.stdout.write((json ? JSON.stringify(r, null, 2) : `${describe(r)}${r.result != null ? `\n--- output ---\n${r.result.output}` : ''}`) + '\n')
  if (r.state !== 'succeeded') process.exitCode = 1
}
