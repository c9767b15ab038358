/**
 * The explorer's test volumes where they do not live under public/ (a real-data run's output, a
 * test's temporary folder): index.json and the npz files of the folder the results folder's manifest
 * names, served at /volumes/<dataset>-<size>/ (explorerAssets). The phantom's public/volumes/ adds no route here.
 */
import type { APIRoute, GetStaticPaths } from 'astro';
import { explorerAssets, readResultsAsset } from '../../../lib/precompute/load.node.ts';

export const getStaticPaths = (() => {
  const { volumes } = explorerAssets();
  const set = volumes.url.split('/').filter(Boolean).pop()!;
  return volumes.serve.map((a) => ({ params: { set, file: a.file }, props: { path: a.path } }));
}) satisfies GetStaticPaths;

export const GET: APIRoute = ({ props }) =>
  new Response(readResultsAsset(props.path as string), { headers: { 'Content-Type': (props.path as string).endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
