// Types for the snappyjs devDependency (pure-JS Snappy), used only by tests and benchmarks as an
// independent implementation to check interop against.
declare module 'snappyjs' {
  export function compress(input: Uint8Array): Uint8Array;
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}
