/** The explorer's precomputed CAMs (index.json + one npz per shipped volume; see explorerCams). */
import type { APIRoute, GetStaticPaths } from 'astro';
import { explorerCams, readResultsAsset } from '../../../lib/precompute/load.node.ts';

export const getStaticPaths = (() => explorerCams().map((a) => ({ params: { file: a.file }, props: { path: a.path } }))) satisfies GetStaticPaths;

export const GET: APIRoute = ({ props }) =>
  new Response(readResultsAsset(props.path as string), { headers: { 'Content-Type': (props.path as string).endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
