/**
 * Makes the landing page's figure (HeroFigure.astro) live: once the page is idle it loads the
 * shown volume and its precomputed CAM (a few hundred kB), swaps the build's static image for the
 * explorer's WebGL voxel cloud at the same camera (drag to rotate), and lets the reader pick
 * another organ. Nothing here blocks the first paint; without WebGL the static image stays.
 */
import type { ShippedVolumeEntry } from '../lib/data/shipped';
import type { HeroVolume } from '../lib/site/hero.node';

type Organ = HeroVolume;

export function startHero(): void {
  const fig = document.querySelector<HTMLElement>('[data-hero]');
  if (!fig) return;
  const idle = (cb: () => void) => ('requestIdleCallback' in window ? window.requestIdleCallback(cb, { timeout: 1500 }) : setTimeout(cb, 300));
  idle(() => void live(fig).catch((e) => {
    fig.dataset.heroState = 'static';
    console.warn('hero figure stays static:', e);
  }));
}

async function live(fig: HTMLElement): Promise<void> {
  const base = fig.dataset.base ?? '/';
  const size = Number(fig.dataset.size ?? 64);
  const method = fig.dataset.method ?? 'scorecam-s4';
  const organs = JSON.parse(fig.dataset.organs ?? '[]') as Organ[];
  const [{ Cloud3d }, { buildCloud }, { cloudValues }, { parseShippedVolume }, { uint8ToUnit }, { decodeCamFile }, { displayName }] = await Promise.all([
    import('./explorer/cloud3d'),
    import('./explorer/cloud-client'),
    import('../lib/viz/cloud-view'),
    import('../lib/data/shipped'),
    import('../lib/data/volume'),
    import('../lib/precompute/format'),
    import('../lib/data/labels'),
  ]);
  const stage = fig.querySelector<HTMLElement>('[data-hero-stage]')!;
  const img = fig.querySelector<HTMLImageElement>('[data-hero-img]');
  const host = document.createElement('div');
  host.className = 'hero-c3d';
  stage.append(host);
  const cloud = new Cloud3d(host, { label: '3D voxel cloud of a CT test volume coloured by its Score-CAM; drag to rotate' });
  const fetchBytes = async (path: string) => {
    const r = await fetch(base + path);
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  };
  let token = 0;
  const show = async (o: Organ) => {
    const mine = ++token;
    fig.dataset.heroState = 'loading';
    const [vbytes, cbytes] = await Promise.all([fetchBytes(o.volumeUrl), fetchBytes(o.camUrl)]);
    const file = o.volumeUrl.split('/').pop()!;
    const entry = { id: o.id, index: o.testIndex, label: o.label, file } as unknown as ShippedVolumeEntry;
    const vol = parseShippedVolume(vbytes, entry, size);
    const cam = decodeCamFile(cbytes, `${o.id}.npz`)[method];
    const ct = uint8ToUnit(vol.image);
    const points = await buildCloud(ct, size, 1);
    if (mine !== token) return;
    cloud.setPoints(points, ct);
    cloud.setValues(cloudValues(points, cam ?? null));
    cloud.setStyle({ threshold: 0, opacity: 0.6, showCt: true, showCam: !!cam });
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    if (mine !== token) return;
    img?.setAttribute('hidden', '');
    stage.querySelectorAll('.hero-label').forEach((l) => l.remove());
    fig.dataset.heroState = 'live';
    const cap = fig.querySelector('[data-hero-caption]');
    if (cap) cap.textContent = cap.textContent!.replace(/Test volume \d+/, `Test volume ${o.testIndex}`).replace(/\([^()]* crop,/, `(${displayName(o.label).toLowerCase()} crop,`);
    const link = fig.querySelector<HTMLAnchorElement>('[data-hero-explore]');
    if (link) link.href = link.href.replace(/volume=[^&]*/, `volume=${o.id}`);
    fig.querySelectorAll<HTMLButtonElement>('[data-organ-id]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.organId === o.id)));
  };
  const first = organs.find((o) => o.id === fig.dataset.shown) ?? organs[0];
  if (!first) return;
  await show(first);
  const picker = fig.querySelector<HTMLElement>('[data-hero-organs]');
  if (picker) {
    picker.hidden = false;
    picker.addEventListener('click', (e) => {
      const id = (e.target as HTMLElement).closest<HTMLButtonElement>('[data-organ-id]')?.dataset.organId;
      const o = organs.find((x) => x.id === id);
      if (o) void show(o).catch(() => (fig.dataset.heroState = 'live'));
    });
  }
  fig.querySelector<HTMLElement>('[data-hero-hint]')?.removeAttribute('hidden');
}
