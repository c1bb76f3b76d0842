// Compares a released wire schema with the current one under the project's rule: messages only gain
// fields, enums never change. Returns every break (each naming the message or enum and the field or
// value) and the messages whose definition differs at all, which then need a sample.
import type { EnumDef, FieldDef, MessageDef, Schema } from './proto-parser.js'

export interface SchemaDiff {
  breaks: string[]
  changedMessages: string[]
}

function shape (f: FieldDef): string {
  return f.label === 'map' ? `map<${f.keyType ?? '?'}, ${f.type}>` : `${f.label} ${f.type}`
}

/** Everything about a message that reaches the wire or the generated code, in a stable form. */
function canonical (m: MessageDef): string {
  const fields = [...m.fields].sort((a, b) => a.number - b.number)
    .map(f => [f.number, f.name, shape(f), f.oneof ?? '', JSON.stringify(f.options)])
  return JSON.stringify({ fields, reservedNumbers: m.reservedNumbers, reservedNames: [...m.reservedNames].sort() })
}

function isReserved (m: MessageDef, n: number): boolean {
  return m.reservedNumbers.some(([lo, hi]) => n >= lo && n <= hi)
}

function diffMessage (old: MessageDef, cur: MessageDef, breaks: string[]): void {
  const m = old.fullName
  for (const was of old.fields) {
    const now = cur.fields.find(f => f.number === was.number)
    const at = `${m}.${was.name} (field ${was.number})`
    if (now == null) {
      if (!isReserved(cur, was.number)) breaks.push(`${at} was removed without reserving its number: add \`reserved ${was.number};\` (and "${was.name}") so it is never reused`)
      continue
    }
    if (now.name !== was.name) breaks.push(`${at} was renamed to ${now.name}: a field's name is its meaning in code and JSON; keep it and add a new field instead`)
    if (shape(now) !== shape(was)) breaks.push(`${at} changed from ${shape(was)} to ${shape(now)}: older nodes still decode field ${was.number} as ${shape(was)}`)
    if ((now.oneof ?? '') !== (was.oneof ?? '')) breaks.push(`${at} moved from oneof '${was.oneof ?? '-'}' to '${now.oneof ?? '-'}'`)
  }
  for (const nf of cur.fields) {
    if (isReserved(old, nf.number)) breaks.push(`${m}.${nf.name} (field ${nf.number}) reuses a number the released schema reserved`)
    if (old.reservedNames.includes(nf.name)) breaks.push(`${m}.${nf.name} (field ${nf.number}) reuses a name the released schema reserved`)
  }
}

function diffEnum (old: EnumDef, cur: EnumDef, breaks: string[]): void {
  const e = old.fullName
  for (const [name, n] of old.values) {
    const now = cur.values.get(name)
    if (now == null) breaks.push(`enum ${e} lost value ${name} = ${n}: older nodes still send it`)
    else if (now !== n) breaks.push(`enum ${e} value ${name} changed number from ${n} to ${now}`)
  }
  for (const [name, n] of cur.values) {
    if (!old.values.has(name)) {
      breaks.push(`enum ${e} gained value ${name} = ${n}: older nodes throw 'Invalid enum value' on it and reject the whole message; add a new field (e.g. a bool or string) instead`)
    }
  }
}

export function diffSchemas (old: Schema, cur: Schema): SchemaDiff {
  const breaks: string[] = []
  const changedMessages: string[] = []
  for (const [name, om] of old.messages) {
    const cm = cur.messages.get(name)
    if (cm == null) {
      breaks.push(`message ${name} was removed (or renamed): older nodes still send and expect it`)
      continue
    }
    diffMessage(om, cm, breaks)
    if (canonical(om) !== canonical(cm)) changedMessages.push(name)
  }
  for (const [name, oe] of old.enums) {
    const ce = cur.enums.get(name)
    if (ce == null) breaks.push(`enum ${name} was removed (or renamed): older nodes still send and expect it`)
    else diffEnum(oe, ce, breaks)
  }
  return { breaks, changedMessages: changedMessages.sort() }
}
