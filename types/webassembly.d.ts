/**
 * The part of the WebAssembly JavaScript API that local/fast/wasm-scan.ts uses. Node has it as a
 * global; TypeScript declares it in the DOM library only, which this project does not load.
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Memory {
    readonly buffer: ArrayBuffer;
  }
  class Instance {
    constructor(module: Module, imports: Record<string, unknown>);
    readonly exports: Record<string, unknown>;
  }
}
