/**
 * Shipped test volumes for the explorer (public/volumes/). Browser-safe, no DOM.
 *
 * public/volumes/index.json:
 *   { format: 'scorecam3d/volumes', version: 1,
 *     dataset: { name, size, file, sha256,              // the source npz and its SHA-256
 *                title?, license?, attribution?, masks? }, // how to credit it; masks: false where crops have none
 *     volumes: [{ id: 'test-0012', split: 'test', index: 12, label, labelName, displayName,
 *                 file: 'test-0012.npz', sha256, bytes }] }
 * Each volume file is a deflated npz with `image` (S³ uint8, C order [z][y][x]) and, where the
 * dataset has them (the phantom; not OrganMNIST3D), `mask` (S³ uint8 0/1, the ground-truth organ mask).
 */
import { DataFormatError, type NdArray } from './npy';
import { readNpz } from './npz';
import { NUM_CLASSES } from './labels';

export const VOLUMES_FORMAT = 'scorecam3d/volumes';
export const VOLUMES_FORMAT_VERSION = 1;
export const VOLUMES_INDEX = 'index.json';

export interface ShippedVolumeEntry {
  id: string;
  split: 'train' | 'val' | 'test';
  index: number;
  label: number;
  labelName: string;
  displayName: string;
  file: string;
  sha256: string;
  bytes: number;
}

export interface ShippedIndex {
  format: string;
  version: number;
  dataset: {
    name: string;
    size: number;
    file: string;
    sha256: string;
    /** How pages name the dataset ('OrganMNIST3D'). */
    title?: string;
    /** e.g. 'CC BY 4.0' */
    license?: string;
    /** The credit the license asks for (authors, work, source, license, changes). */
    attribution?: string;
    /** false where the crops come without organ masks (OrganMNIST3D); absent: true. */
    masks?: boolean;
  };
  volumes: ShippedVolumeEntry[];
}

export interface ShippedVolume {
  entry: ShippedVolumeEntry;
  size: number;
  /** S³ uint8 CT (windowed), C order [z][y][x] */
  image: Uint8Array;
  /** S³ uint8 0/1 ground-truth organ mask; null where the dataset has none (OrganMNIST3D) */
  mask: Uint8Array | null;
}

/** Stable id of a volume: `test-0012`. */
export function volumeId(split: string, index: number): string {
  return `${split}-${String(index).padStart(4, '0')}`;
}

/** Validate a parsed index.json (throws DataFormatError with a clear message). */
export function parseShippedIndex(json: unknown, file = VOLUMES_INDEX): ShippedIndex {
  const bad = (p: string): never => {
    throw new DataFormatError(file, p);
  };
  if (!json || typeof json !== 'object') bad('not a JSON object');
  const o = json as Partial<ShippedIndex>;
  if (o.format !== VOLUMES_FORMAT) bad(`format is ${String(o.format)}, expected ${VOLUMES_FORMAT}`);
  if (o.version !== VOLUMES_FORMAT_VERSION) bad(`version ${String(o.version)} is not supported (expected ${VOLUMES_FORMAT_VERSION})`);
  if (!o.dataset || typeof o.dataset.size !== 'number') bad('missing dataset.size');
  if (!Array.isArray(o.volumes) || o.volumes.length === 0) bad('no volumes listed');
  for (const v of o.volumes!) {
    if (typeof v.id !== 'string' || typeof v.file !== 'string' || !/^[\w.-]+\.npz$/.test(v.file)) bad(`bad volume entry ${JSON.stringify(v)}`);
    if (!Number.isInteger(v.label) || v.label < 0 || v.label >= NUM_CLASSES) bad(`volume ${v.id}: label ${v.label} out of range`);
  }
  return o as ShippedIndex;
}

/** Entries grouped by label, in index order. */
export function volumesByLabel(index: ShippedIndex): Map<number, ShippedVolumeEntry[]> {
  const m = new Map<number, ShippedVolumeEntry[]>();
  for (const v of index.volumes) {
    if (!m.has(v.label)) m.set(v.label, []);
    m.get(v.label)!.push(v);
  }
  return m;
}

function checkCube(a: NdArray | undefined, key: string, size: number, file: string): Uint8Array {
  if (!a) throw new DataFormatError(file, `missing array '${key}'`);
  if (a.dtype !== 'uint8') throw new DataFormatError(file, `'${key}' has dtype ${a.dtype}, expected uint8`);
  const s = a.shape;
  if (s.length !== 3 || s[0] !== size || s[1] !== size || s[2] !== size) {
    throw new DataFormatError(file, `'${key}' has shape (${s.join(', ')}), expected (${size}, ${size}, ${size})`);
  }
  return a.data as Uint8Array;
}

/** Parse one shipped volume file (npz bytes). */
export function parseShippedVolume(bytes: Uint8Array, entry: ShippedVolumeEntry, size: number): ShippedVolume {
  const arrays = readNpz(bytes, entry.file, { keys: ['image'], optional: ['mask'] });
  return { entry, size, image: checkCube(arrays.image, 'image', size, entry.file), mask: arrays.mask ? checkCube(arrays.mask, 'mask', size, entry.file) : null };
}
