// The dependency rules of docs/architecture.md ("Layers"), as .dependency-cruiser.cjs states them:
// no import cycle (type imports included) and no import that breaks the layering.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs')
const CONFIG = join(ROOT, '.dependency-cruiser.cjs')

interface Violation { rule: { name: string }, from: string, to: string, cycle?: Array<{ name: string }> }
interface CruiseSummary { violations: Violation[], totalCruised: number }

async function cruise (cwd: string, paths: string[]): Promise<CruiseSummary> {
  // exit code 1 means "violations found": the JSON on stdout still says which
  const out = await promisify(execFile)(process.execPath, [DEPCRUISE, ...paths, '--config', CONFIG, '--output-type', 'json'], { cwd, maxBuffer: 256 * 1024 * 1024 })
    .catch((err: { stdout?: string, code?: number }) => {
      if (err.code === 1 && err.stdout != null && err.stdout.length > 0) return { stdout: err.stdout }
      throw err
    })
  return (JSON.parse(out.stdout) as { summary: CruiseSummary }).summary
}

function describeViolation (v: Violation): string {
  return `${v.rule.name}: ${v.from} → ${v.cycle != null ? v.cycle.map(c => c.name).join(' → ') : v.to}`
}

describe('dependency rules', function () {
  this.timeout(180_000)

  it('src, bench, test and examples have no import cycle and no import across the layers', async () => {
    const summary = await cruise(ROOT, ['src', 'bench', 'test', 'examples'])
    assert.ok(summary.totalCruised > 150, `only ${summary.totalCruised} modules cruised`)
    assert.deepEqual(summary.violations.map(describeViolation), [])
  })

  it('the rules catch a cycle through type imports and an import from the wire into the services (positive control)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgecoder-depcruise-'))
    try {
      await mkdir(join(dir, 'src', 'wire'), { recursive: true })
      await mkdir(join(dir, 'src', 'jobs'), { recursive: true })
      await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }))
      await writeFile(join(dir, 'src', 'jobs', 'a.ts'), "import type { B } from './b.js'\nexport interface A { b?: B }\n")
      await writeFile(join(dir, 'src', 'jobs', 'b.ts'), "import type { A } from './a.js'\nexport interface B { a?: A }\n")
      await writeFile(join(dir, 'src', 'wire', 'codec.ts'), "import type { A } from '../jobs/a.js'\nexport const x: A = {}\n")
      const summary = await cruise(dir, ['src'])
      const names = summary.violations.map(v => v.rule.name)
      assert.ok(names.includes('no-circular'), names.join(', '))
      assert.ok(names.includes('wire-is-the-bottom'), names.join(', '))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
