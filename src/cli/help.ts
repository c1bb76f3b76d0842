// `--help` for the whole CLI or one command, `--version`, and the check that a group's subcommand
// exists (with a suggestion) before it is dispatched. The usage texts themselves stay next to the
// commands (main.ts USAGE, ops-commands.ts OPS_USAGE); help for one command is cut from them.
import { readFileSync } from 'node:fs'
import { InvalidArgumentError } from '../errors/index.js'
import { didYouMean } from './suggest.js'

/** Every subcommand of each command group, as `edgecoder-node GROUP SUB` dispatches them. */
export const SUBCOMMANDS: Readonly<Record<string, readonly string[]>> = {
  jobs: ['submit', 'status', 'result', 'list', 'cancel', 'explain', 'dead-letters'],
  ledger: ['balance', 'entries', 'checkpoint', 'proof', 'consistency', 'verify', 'reconcile', 'evidence', 'receipts', 'submit-checkpoint', 'audit'],
  token: ['create', 'list', 'revoke'],
  nodes: ['list', 'approve', 'reject', 'blacklist', 'drain', 'isolate', 'return'],
  policy: ['show', 'set'],
  audit: ['list', 'verify'],
  admin: ['pause', 'resume', 'state', 'keygen', 'coordinator', 'key']
}

export function version (): string {
  // dist/src/cli/help.js -> the package root
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** The usage lines of `cmd` (and the lines continuing them), from each usage text in turn. */
export function commandUsage (cmd: string, texts: string[]): string | undefined {
  const lines: string[] = []
  for (const text of texts) {
    let inside = false
    for (const line of text.split('\n')) {
      const m = /^ {2}edgecoder-node (\S+)/.exec(line)
      if (m != null) inside = m[1] === cmd
      else if (!/^ {4,}\S/.test(line)) inside = false
      if (inside) lines.push(line)
    }
  }
  return lines.length > 0 ? lines.join('\n') : undefined
}

export function commandHelp (cmd: string, texts: string[], footer: string): string {
  const usage = commandUsage(cmd, texts)
  if (usage == null) throw new InvalidArgumentError(`no command "${cmd}"${didYouMean(cmd, commandNames(texts))} (see edgecoder-node --help)`)
  return `Usage:\n${usage}\n\n${footer}`
}

export function commandNames (texts: string[]): Set<string> {
  const names = new Set<string>()
  for (const text of texts) for (const m of text.matchAll(/^ {2}edgecoder-node (\S+)/gm)) names.add(m[1])
  return names
}

/** One line naming every subcommand of `group`, for a missing or unknown one. */
export function groupUsage (group: string): string {
  return `usage: edgecoder-node ${group} ${(SUBCOMMANDS[group] ?? []).join('|')} ... (edgecoder-node help ${group})`
}

/** Throws for a group command whose subcommand is missing or unknown; the message lists them all. */
export function checkSubcommand (group: string, sub: string | undefined): void {
  const subs = SUBCOMMANDS[group]
  if (subs == null || (sub != null && subs.includes(sub))) return
  if (sub == null || sub.startsWith('-')) throw new InvalidArgumentError(groupUsage(group))
  throw new InvalidArgumentError(`unknown ${group} subcommand "${sub}"${didYouMean(sub, subs)}; ${groupUsage(group)}`)
}
