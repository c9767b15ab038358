/** The per-organ snapshots (PNG) of the results folder the site is built from (RESULTS; see load.node.ts). */
import type { APIRoute, GetStaticPaths } from 'astro';
import { SNAPSHOT_SUBDIR } from '../../../lib/precompute/format';
import { readResultsAsset, resultsAssets, resultsDir } from '../../../lib/precompute/load.node.ts';

export const getStaticPaths = (() => resultsAssets(resultsDir(), SNAPSHOT_SUBDIR).map((a) => ({ params: { file: a.file }, props: { path: a.path } }))) satisfies GetStaticPaths;

export const GET: APIRoute = ({ props }) => new Response(readResultsAsset(props.path as string), { headers: { 'Content-Type': 'image/png' } });
