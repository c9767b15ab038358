/**
 * Stub for `node-fetch`, aliased in astro.config.mjs. @tensorflow/tfjs imports it
 * for its Node platform; in the browser and in this static build the global fetch
 * is used instead, so reaching this stub is a bug and says so.
 */
export default function nodeFetch(): never {
  throw new Error('node-fetch is stubbed in this build; use the global fetch instead.');
}
