// The slice of the WebAssembly JS API the executor uses, typed here because the project compiles
// with lib ES2023 only: WebAssembly's declarations live in lib.dom, which a Node project should
// not pull in, and @types/node does not declare them.

export interface WasmMemory {
  readonly buffer: ArrayBuffer
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>
}

/** an opaque compiled module */
export interface WasmModule {
  readonly __wasmModule?: never
}

export interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule
  Instance: new (module: WasmModule, imports?: Record<string, Record<string, unknown>>) => WasmInstance
  Memory: abstract new (...args: never[]) => WasmMemory
  CompileError: ErrorConstructor
  LinkError: ErrorConstructor
  RuntimeError: ErrorConstructor
  validate: (bytes: Uint8Array) => boolean
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly
