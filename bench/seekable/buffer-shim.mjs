// Injected by esbuild into the ts-ebml bundle: Node's global `Buffer`, which ts-ebml and the
// `ebml` package use, from the `buffer` package (what a browser bundle of ts-ebml needs).
export { Buffer } from 'buffer';
