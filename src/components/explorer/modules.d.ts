// plotly's gl3d bundle ships no types (the explorer uses a small typed surface, see view3d.ts)
declare module 'plotly.js-gl3d-dist-min';
// Vite's `?url` imports (the tfjs wasm binaries are emitted as hashed assets under the base path)
declare module '*.wasm?url' {
  const src: string;
  export default src;
}
