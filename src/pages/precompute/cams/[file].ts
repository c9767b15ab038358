/**
 * The explorer's precomputed CAMs (index.json + one npz per shipped volume). They come from the
 * shipped phantom model's results folder whatever RESULTS says: the explorer runs that model on
 * shipped phantom volumes, and a results folder of other data has no CAMs of those volumes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIRoute, GetStaticPaths } from 'astro';
import { CACHE_DIR, CAM_SUBDIR, DEFAULT_RESULTS } from '../../../lib/precompute/format';
import { resultsAssets } from '../../../lib/precompute/load.node.ts';

export const getStaticPaths = (() => resultsAssets(join(process.cwd(), CACHE_DIR, DEFAULT_RESULTS), CAM_SUBDIR).map((a) => ({ params: { file: a.file }, props: { path: a.path } }))) satisfies GetStaticPaths;

export const GET: APIRoute = ({ props }) =>
  new Response(readFileSync(props.path as string), { headers: { 'Content-Type': (props.path as string).endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
