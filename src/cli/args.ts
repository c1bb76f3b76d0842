// Argument parsing on node:util parseArgs, with errors that name the flag.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { InvalidArgumentError } from '../errors/index.js'

export type Options = NonNullable<ParseArgsConfig['options']>

export function parse (argv: string[], options: Options, allowPositionals = true): { values: Record<string, string | boolean | string[] | undefined>, positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals, strict: true })
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals }
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''))
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
