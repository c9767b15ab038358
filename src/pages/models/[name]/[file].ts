/**
 * The explorer's model where it does not live under public/models/ (a real-data run's output, a
 * test's temporary folder): copied from the folder the results folder's manifest names (explorerAssets).
 * The shipped phantom model is served from public/ and adds no route here.
 */
import type { APIRoute, GetStaticPaths } from 'astro';
import { explorerAssets, readResultsAsset } from '../../../lib/precompute/load.node.ts';

export const getStaticPaths = (() => {
  const { model } = explorerAssets();
  return model.serve.map((a) => ({ params: { name: model.name, file: a.file }, props: { path: a.path } }));
}) satisfies GetStaticPaths;

export const GET: APIRoute = ({ props }) =>
  new Response(readResultsAsset(props.path as string), { headers: { 'Content-Type': (props.path as string).endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
