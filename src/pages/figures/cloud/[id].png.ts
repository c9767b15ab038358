/** Static voxel-cloud figures of the shipped volumes with a precomputed CAM (lib/site/hero.node.ts), e.g. the Method page's. */
import type { APIRoute, GetStaticPaths } from 'astro';
import { cloudFigureIds, cloudFigurePng } from '../../../lib/site/hero.node.ts';

export const getStaticPaths = (() => cloudFigureIds().map((id) => ({ params: { id } }))) satisfies GetStaticPaths;

export const GET: APIRoute = ({ params }) => {
  const png = cloudFigurePng(String(params.id));
  if (!png) return new Response('not found', { status: 404 });
  return new Response(png as Uint8Array<ArrayBuffer>, { headers: { 'Content-Type': 'image/png' } });
};
