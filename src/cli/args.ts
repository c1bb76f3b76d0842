// Argument parsing on node:util parseArgs, with errors that name the flag.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { InvalidArgumentError } from '../errors/index.js'
import { didYouMean } from './suggest.js'

export type Options = NonNullable<ParseArgsConfig['options']>

export function parse (argv: string[], options: Options, allowPositionals = true): { values: Record<string, string | boolean | string[] | undefined>, positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals, strict: true })
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals }
  } catch (err) {
    const e = err as Error & { code?: string }
    const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /Unknown option '(--?)([^']+)'/.exec(e.message) : null
    if (unknown != null) {
      const names = Object.keys(options)
      const hint = unknown[1] === '--' ? didYouMean(unknown[2], names, '--') : ''
      throw new InvalidArgumentError(`unknown option ${unknown[1]}${unknown[2]}${hint}`)
    }
    throw new InvalidArgumentError(e.message.replace(/^TypeError \[[A-Z_]+\]: /, ''))
  }
}

export function str (v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

export function list (v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []
}

export function int (v: unknown, flag: string, min: number, max: number): number | undefined {
  if (v == null) return undefined
  const n = Number(v)
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`${flag} must be an integer from ${min} to ${max}`)
  }
  return n
}

/** "90s", "30m", "2h", "1d", "1500ms" or plain milliseconds, as a duration in ms. */
export function parseDuration (v: string, flag: string): number {
  const m = /^(\d{1,12})(ms|s|m|h|d)?$/.exec(v)
  if (m == null) throw new InvalidArgumentError(`${flag} must be a duration like 90s, 30m, 2h, 1d or 1500ms`)
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms'] ?? 1
  const ms = Number(m[1]) * unit
  if (ms < 1 || !Number.isSafeInteger(ms)) throw new InvalidArgumentError(`${flag} is out of range`)
  return ms
}
