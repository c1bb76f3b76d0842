import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import {
  NoopExecutor, ProcessExecutor, WasmExecutor, ExecutorRegistry, createDefaultExecutors,
  capModuleMemory, pagesForMb, WASM_TRAP_EXIT_CODE
} from '../src/executors/index.js'
import type { ExecutionRequest, Executor } from '../src/executors/index.js'
import { wasmApi } from '../src/executors/wasm-api.js'

const enc = new TextEncoder()
const dec = new TextDecoder()

function wasm (name: string): Uint8Array {
  // from dist/test the repo root is two levels up
  return new Uint8Array(readFileSync(new URL(`../../examples/wasm/${name}.wasm`, import.meta.url)))
}

function req (over: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return {
    jobId: 'job-1',
    input: new Uint8Array(0),
    args: [],
    timeoutMs: 5000,
    maxOutputBytes: 1024 * 1024,
    memoryLimitMb: 16,
    signal: new AbortController().signal,
    ...over
  }
}

/** Asserts the promise rejects with an error of that name; returns the time it took. */
async function rejectsNamed (p: Promise<unknown>, name: string): Promise<number> {
  const t0 = performance.now()
  await assert.rejects(p, (err: Error) => {
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`)
    return true
  })
  return performance.now() - t0
}

function abortAfter (ms: number): AbortSignal {
  const ac = new AbortController()
  setTimeout(() => ac.abort(), ms)
  return ac.signal
}

describe('executors', () => {
  describe('noop', () => {
    const noop = new NoopExecutor()

    it('echoes its input with exit code 0 and reports its wall time; it allocates nothing to report', async () => {
      const out = await noop.execute(req({ input: enc.encode('hello'), delayMs: 30 }))
      assert.equal(out.exitCode, 0)
      assert.equal(dec.decode(out.output), 'hello')
      assert.equal(out.stderr.byteLength, 0)
      assert.equal(out.maxRssKb, 0)
      assert.ok(out.wallMs >= 29, `wall ${out.wallMs} ms for a 30-ms delay`)
      // sleeping is not CPU: the thread's own time stays near zero
      assert.ok(out.cpuMs >= 0 && out.cpuMs < 25, `cpu ${out.cpuMs} ms`)
    })

    it('waits delayMs before answering', async () => {
      const out = await noop.execute(req({ input: enc.encode('x'), delayMs: 120 }))
      assert.ok(out.wallMs >= 110, `wallMs ${out.wallMs}`)
    })

    it('times out at timeoutMs when the delay is longer', async () => {
      const took = await rejectsNamed(noop.execute(req({ delayMs: 5000, timeoutMs: 100 })), 'ExecutorTimeoutError')
      assert.ok(took < 1000, `took ${took} ms`)
    })

    it('stops at once on abort', async () => {
      const took = await rejectsNamed(noop.execute(req({ delayMs: 5000, signal: abortAfter(50) })), 'ExecutionAbortedError')
      assert.ok(took < 1000, `took ${took} ms`)
      await rejectsNamed(noop.execute(req({ signal: AbortSignal.abort() })), 'ExecutionAbortedError')
    })
  })

  describe('process', () => {
    const proc = new ProcessExecutor({ allowlist: ['cat', 'sh', 'sleep', 'yes', 'printenv', 'pwd', 'definitely-not-a-command-xyz'] })

    it('refuses commands not on the allowlist, including path tricks', async () => {
      for (const cmd of ['echo', '/bin/cat', '/usr/bin/cat', './cat', '../cat', 'cat ', ' cat', 'CAT', 'bin/cat', '']) {
        await rejectsNamed(proc.execute(req({ args: [cmd] })), 'CommandNotAllowedError')
      }
      await rejectsNamed(proc.execute(req({ args: [] })), 'CommandNotAllowedError')
    })

    it('refuses everything with an empty allowlist', async () => {
      const none = new ProcessExecutor({ allowlist: [] })
      await rejectsNamed(none.execute(req({ args: ['cat'] })), 'CommandNotAllowedError')
    })

    it('runs cat with the input on stdin', async () => {
      const out = await proc.execute(req({ args: ['cat'], input: enc.encode('piped through cat\n') }))
      assert.equal(out.exitCode, 0)
      assert.equal(dec.decode(out.output), 'piped through cat\n')
      assert.ok(out.wallMs >= 0)
    })

    it('passes arguments verbatim, without a shell', async () => {
      const out = await proc.execute(req({ args: ['cat', '--', '$HOME; echo pwned'] }))
      // cat tries to open a file literally named that: no shell expanded or split it
      assert.notEqual(out.exitCode, 0)
      assert.match(dec.decode(out.stderr), /\$HOME; echo pwned/)
      assert.equal(out.output.byteLength, 0)
    })

    it('reports a non-zero exit code and stderr as a result', async () => {
      const out = await proc.execute(req({ args: ['sh', '-c', 'echo oops >&2; echo partial; exit 3'] }))
      assert.equal(out.exitCode, 3)
      assert.equal(dec.decode(out.output), 'partial\n')
      assert.equal(dec.decode(out.stderr), 'oops\n')
    })

    it('reports death by signal as 128+signo', async () => {
      const out = await proc.execute(req({ args: ['sh', '-c', 'kill -TERM $$'] }))
      assert.equal(out.exitCode, 128 + 15)
    })

    it('reports an allowlisted command that does not exist as exit 127', async () => {
      const out = await proc.execute(req({ args: ['definitely-not-a-command-xyz'] }))
      assert.equal(out.exitCode, 127)
      assert.match(dec.decode(out.stderr), /ENOENT/)
    })

    it('gives the job PATH only and the temp dir as cwd', async () => {
      process.env.EDGECODER_TEST_SECRET = 'hunter2'
      try {
        const out = await proc.execute(req({ args: ['printenv'] }))
        const names = dec.decode(out.output).trim().split('\n').map(l => l.split('=')[0])
        assert.deepEqual(names.filter(n => n !== 'PWD' && n !== 'SHLVL' && n !== '_'), ['PATH'])
        const pwd = await proc.execute(req({ args: ['pwd'] }))
        assert.equal(dec.decode(pwd.output).trim(), tmpdir())
      } finally {
        delete process.env.EDGECODER_TEST_SECRET
      }
    })

    it('kills sleep 5 at the time limit', async () => {
      const took = await rejectsNamed(proc.execute(req({ args: ['sleep', '5'], timeoutMs: 200 })), 'ExecutorTimeoutError')
      assert.ok(took < 1500, `took ${took} ms`)
    })

    it('kills the whole process group, not just the child', async () => {
      // sh starts a background sleep that would keep the pipes open for 5 s
      const took = await rejectsNamed(proc.execute(req({ args: ['sh', '-c', 'sleep 5 & wait'], timeoutMs: 200 })), 'ExecutorTimeoutError')
      assert.ok(took < 1500, `took ${took} ms`)
      // after a normal exit, leftovers holding stdout are killed too instead of stalling the run
      const t0 = performance.now()
      const out = await proc.execute(req({ args: ['sh', '-c', 'sleep 5 & echo done'], timeoutMs: 4000 }))
      assert.equal(dec.decode(out.output), 'done\n')
      assert.ok(performance.now() - t0 < 1500)
    })

    it('kills yes past the output cap', async () => {
      const took = await rejectsNamed(proc.execute(req({ args: ['yes'], maxOutputBytes: 64 * 1024 })), 'OutputLimitExceededError')
      assert.ok(took < 1500, `took ${took} ms`)
    })

    it('allows stdout of exactly maxOutputBytes, not one byte more', async () => {
      const out = await proc.execute(req({ args: ['cat'], input: new Uint8Array(1000).fill(0x61), maxOutputBytes: 1000 }))
      assert.equal(out.output.byteLength, 1000)
      await rejectsNamed(proc.execute(req({ args: ['cat'], input: new Uint8Array(1001).fill(0x61), maxOutputBytes: 1000 })), 'OutputLimitExceededError')
    })

    it('does not fail when the child exits without reading its stdin', async () => {
      const out = await proc.execute(req({ args: ['sh', '-c', 'exit 0'], input: new Uint8Array(1024 * 1024) }))
      assert.equal(out.exitCode, 0)
    })

    it('samples the child\'s peak RSS from /proc', async function () {
      if (!existsSync('/proc/self/status')) this.skip()
      const out = await proc.execute(req({ args: ['sleep', '0.2'] }))
      assert.equal(out.exitCode, 0)
      assert.ok(out.maxRssKb > 0, `maxRssKb ${out.maxRssKb}`)
      assert.ok(out.wallMs >= 190, `wallMs ${out.wallMs}`)
    })

    it('truncates stderr silently at maxOutputBytes', async () => {
      const out = await proc.execute(req({ args: ['sh', '-c', 'head -c 100000 /dev/zero >&2; echo ok'], maxOutputBytes: 1000 }))
      assert.equal(out.exitCode, 0)
      assert.equal(out.stderr.byteLength, 1000)
      assert.equal(dec.decode(out.output), 'ok\n')
    })

    it('stops at once on abort', async () => {
      const took = await rejectsNamed(proc.execute(req({ args: ['sleep', '5'], signal: abortAfter(100) })), 'ExecutionAbortedError')
      assert.ok(took < 1500, `took ${took} ms`)
      await rejectsNamed(proc.execute(req({ args: ['cat'], signal: AbortSignal.abort() })), 'ExecutionAbortedError')
    })
  })

  describe('wasm', () => {
    const wasmExec = new WasmExecutor()

    it('upper: uppercases stdin to stdout', async () => {
      const input = 'hello, wasm sandbox! ' + 'abc'.repeat(3000) // bigger than the guest's 4 KiB buffer
      const out = await wasmExec.execute(req({ module: wasm('upper'), input: enc.encode(input) }))
      assert.equal(out.exitCode, 0)
      assert.equal(dec.decode(out.output), input.toUpperCase())
      assert.equal(out.stderr.byteLength, 0)
      assert.equal(out.maxRssKb, 64) // one 64 KiB page
    })

    it('exit7: reports the proc_exit code', async () => {
      const out = await wasmExec.execute(req({ module: wasm('exit7') }))
      assert.equal(out.exitCode, 7)
      assert.equal(out.output.byteLength, 0)
    })

    it('spin: terminated at the time limit', async () => {
      const took = await rejectsNamed(wasmExec.execute(req({ module: wasm('spin'), timeoutMs: 300 })), 'ExecutorTimeoutError')
      assert.ok(took < 1500, `took ${took} ms`)
    })

    it('grow: memory.grow fails at the cap, the guest exits 3', async () => {
      const out = await wasmExec.execute(req({ module: wasm('grow'), memoryLimitMb: 2 }))
      assert.equal(out.exitCode, 3)
      assert.equal(dec.decode(out.output), '32') // 2 MiB = 32 pages of 64 KiB
      assert.equal(out.maxRssKb, 2048)
    })

    it('grow: the cap follows memoryLimitMb; a module needing more than the cap is refused', async () => {
      const out = await wasmExec.execute(req({ module: wasm('grow'), memoryLimitMb: 4 }))
      assert.equal(out.exitCode, 3)
      assert.equal(dec.decode(out.output), '64')
      // grow.wasm starts with one page; a cap below 64 KiB cannot hold it
      await rejectsNamed(wasmExec.execute(req({ module: wasm('grow'), memoryLimitMb: 0.01 })), 'MemoryLimitExceededError')
    })

    it('allows stdout of exactly maxOutputBytes, not one byte more', async () => {
      const out = await wasmExec.execute(req({ module: wasm('upper'), input: new Uint8Array(5000).fill(0x61), maxOutputBytes: 5000 }))
      assert.equal(dec.decode(out.output), 'A'.repeat(5000))
      await rejectsNamed(wasmExec.execute(req({ module: wasm('upper'), input: new Uint8Array(5001).fill(0x61), maxOutputBytes: 5000 })), 'OutputLimitExceededError')
    })

    it('flood: terminated past the output cap', async () => {
      const took = await rejectsNamed(wasmExec.execute(req({ module: wasm('flood'), maxOutputBytes: 64 * 1024 })), 'OutputLimitExceededError')
      assert.ok(took < 2000, `took ${took} ms`)
    })

    it('trap: reported as exit 134 with the trap on stderr', async () => {
      const out = await wasmExec.execute(req({ module: wasm('trap') }))
      assert.equal(out.exitCode, WASM_TRAP_EXIT_CODE)
      assert.match(dec.decode(out.stderr), /wasm trap: RuntimeError: unreachable/)
    })

    it('rejects a malformed module', async () => {
      await rejectsNamed(wasmExec.execute(req({ module: enc.encode('not wasm at all') })), 'InvalidWasmModuleError')
      await rejectsNamed(wasmExec.execute(req({ module: new Uint8Array(0) })), 'InvalidWasmModuleError')
      await rejectsNamed(wasmExec.execute(req({})), 'InvalidWasmModuleError')
      // a valid header with a section that runs past the end
      const truncated = wasm('upper').subarray(0, 40)
      await rejectsNamed(wasmExec.execute(req({ module: truncated })), 'InvalidWasmModuleError')
      // a well-formed header and section list whose code V8 refuses
      const bad = wasm('exit7')
      bad[bad.byteLength - 2] = 0xff // corrupt the last instruction in the code section
      await rejectsNamed(wasmExec.execute(req({ module: bad })), 'InvalidWasmModuleError')
    })

    it('stops at once on abort', async () => {
      const took = await rejectsNamed(wasmExec.execute(req({ module: wasm('spin'), signal: abortAfter(100) })), 'ExecutionAbortedError')
      assert.ok(took < 1500, `took ${took} ms`)
      await rejectsNamed(wasmExec.execute(req({ module: wasm('spin'), signal: AbortSignal.abort() })), 'ExecutionAbortedError')
      // aborted while the executor is still setting up its temp files
      const ac = new AbortController()
      const run = wasmExec.execute(req({ module: wasm('spin'), signal: ac.signal }))
      ac.abort()
      const tookSetup = await rejectsNamed(run, 'ExecutionAbortedError')
      assert.ok(tookSetup < 1500, `took ${tookSetup} ms`)
    })

    it('leaves no temp files behind', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'executors-spec-'))
      try {
        const own = new WasmExecutor({ tempDir: dir })
        await own.execute(req({ module: wasm('upper'), input: enc.encode('x') }))
        await rejectsNamed(own.execute(req({ module: wasm('spin'), timeoutMs: 100 })), 'ExecutorTimeoutError')
        await rejectsNamed(own.execute(req({ module: wasm('flood'), maxOutputBytes: 1000 })), 'OutputLimitExceededError')
        await rejectsNamed(own.execute(req({ module: wasm('spin'), signal: abortAfter(50) })), 'ExecutionAbortedError')
        assert.deepEqual(readdirSync(dir), [])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })

  describe('wasm memory cap (binary rewrite)', () => {
    // (module (memory N [M])) by hand: header, memory section
    const memModule = (limits: number[]): Uint8Array =>
      new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, limits.length + 1, 1, ...limits])
    it('adds a maximum when none is declared and lowers a larger one', () => {
      const capped = capModuleMemory(memModule([0x00, 1]), 32)
      assert.deepEqual([...capped.subarray(8)], [5, 4, 1, 0x01, 1, 32])
      assert.ok(wasmApi.validate(capped))
      const lowered = capModuleMemory(memModule([0x01, 1, 0xe8, 0x07]), 32) // max 1000
      assert.deepEqual([...lowered.subarray(8)], [5, 4, 1, 0x01, 1, 32])
      const kept = capModuleMemory(memModule([0x01, 1, 4]), 32)
      assert.deepEqual([...kept.subarray(8)], [5, 4, 1, 0x01, 1, 4])
    })

    it('never writes a maximum above 65536 pages for a 32-bit memory', () => {
      const capped = capModuleMemory(memModule([0x00, 1]), pagesForMb(8192))
      assert.ok(wasmApi.validate(capped))
      assert.deepEqual([...capped.subarray(11)], [0x01, 1, 0x80, 0x80, 0x04]) // 65536
    })

    it('refuses a minimum above the cap and an imported memory', () => {
      assert.throws(() => capModuleMemory(memModule([0x00, 64]), 32), { name: 'MemoryLimitExceededError' })
      // (import "env" "mem" (memory 1))
      const imported = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 12, 1, 3, 0x65, 0x6e, 0x76, 3, 0x6d, 0x65, 0x6d, 0x02, 0x00, 1])
      assert.ok(wasmApi.validate(imported))
      assert.throws(() => capModuleMemory(imported, 32), { name: 'MemoryLimitExceededError' })
    })

    it('refuses malformed binaries', () => {
      for (const bad of [
        new Uint8Array([0x00, 0x61, 0x73]),
        new Uint8Array([0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0]),
        new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 9, 1, 0]), // section past the end
        new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0x7f]), // LEB overflows u32
        new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 4, 1, 0x00, 1, 0]), // trailing byte in section
        new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0x08, 1]), // unknown limits flag
        new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x42, 0]) // unknown section id
      ]) {
        assert.throws(() => capModuleMemory(bad, 32), { name: 'InvalidWasmModuleError' })
      }
    })

    it('copies every other section byte for byte', () => {
      const upper = wasm('upper')
      const capped = capModuleMemory(upper, 16)
      assert.ok(wasmApi.validate(capped))
      assert.equal(capped.byteLength, upper.byteLength + 1) // the memory section gained a max byte
    })
  })

  describe('registry', () => {
    it('has noop and wasm by default, process only with an allowlist', () => {
      assert.deepEqual(createDefaultExecutors().names().sort(), ['noop', 'wasm'])
      assert.deepEqual(createDefaultExecutors({ processAllowlist: [] }).names().sort(), ['noop', 'wasm'])
      assert.deepEqual(createDefaultExecutors({ processAllowlist: ['cat'] }).names().sort(), ['noop', 'process', 'wasm'])
    })

    it('looks executors up by name and throws ExecutorNotFoundError otherwise', () => {
      const r = new ExecutorRegistry()
      const custom: Executor = { name: 'custom', execute: async () => await Promise.reject(new Error('unused')) }
      r.register(custom)
      assert.equal(r.get('custom'), custom)
      assert.deepEqual(r.names(), ['custom'])
      assert.throws(() => r.get('nope'), { name: 'ExecutorNotFoundError' })
    })
  })
})
