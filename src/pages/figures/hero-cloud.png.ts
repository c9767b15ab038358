/** The landing page's static figure (lib/site/hero.node.ts): a shipped volume's voxel cloud coloured by its precomputed Score-CAM. */
import type { APIRoute } from 'astro';
import { heroData } from '../../lib/site/hero.node.ts';

export const GET: APIRoute = () => {
  const h = heroData();
  // without shipped volumes and CAMs the page shows the schematic and links no image; a 1×1 stands in
  const png = h?.png ?? Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII='), (c) => c.charCodeAt(0));
  return new Response(png as Uint8Array<ArrayBuffer>, { headers: { 'Content-Type': 'image/png' } });
};
