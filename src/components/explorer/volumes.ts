/**
 * Where the explorer's input volume comes from: the shipped test volumes (index, organ and
 * volume pickers, npz download) or a file the reader opens, which never leaves the browser.
 */
import { displayName } from '../../lib/data/labels';
import { parseShippedIndex, parseShippedVolume, volumesByLabel, type ShippedIndex, type ShippedVolumeEntry } from '../../lib/data/shipped';
import { uint8ToUnit } from '../../lib/data/volume';
import { formatBytes } from '../../lib/data/npy';
import { joinBase } from '../../lib/site/url';
import { USER_MAX_FILE_BYTES } from '../../lib/data/user-volume';
import type { InputWarning } from '../../lib/data/input-check';
// files are parsed in a worker (upload-worker.ts): the page never blocks on a large or hostile file
import { parseUpload } from './upload-client';
import type { Ui } from './ui';

export interface InputVolume {
  /** shipped volume id, or the reader's file name */
  id: string;
  entry: ShippedVolumeEntry | null;
  /** S³ CT in [0, 1] */
  ct: Float32Array;
  mask: Uint8Array | null;
  /** one sentence for the page */
  info: string;
  /** blank / out-of-distribution input (lib/data/input-check), said beside the prediction */
  warnings: InputWarning[];
}

const USER_VALUE = '__user__';

export class VolumeSource {
  index: ShippedIndex | null = null;

  constructor(
    private ui: Ui,
    private base: string,
    readonly size: number,
    /** the volumes folder, relative to the base (the build's data-volumes: 'volumes/' for the phantom, 'volumes/organmnist3d-64/' for real data) */
    private dir = 'volumes/',
  ) {}

  url(path: string): string {
    return joinBase(this.base, path);
  }

  private async fetchBytes(path: string): Promise<Uint8Array> {
    const res = await fetch(this.url(path));
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }

  /** Loads index.json and fills the organ picker; returns the entry to open first. */
  async loadIndex(wanted?: string): Promise<ShippedVolumeEntry> {
    const bytes = await this.fetchBytes(`${this.dir}index.json`);
    this.index = parseShippedIndex(JSON.parse(new TextDecoder().decode(bytes)), `${this.dir}index.json`);
    const organ = this.ui.q<HTMLSelectElement>('[data-organ]');
    organ.innerHTML = '';
    for (const [label] of [...volumesByLabel(this.index)].sort((a, b) => a[0] - b[0])) organ.add(new Option(displayName(label), String(label)));
    organ.disabled = false;
    const first = this.index.volumes.find((v) => v.id === wanted) ?? this.index.volumes[0];
    this.showPicked(first);
    return first;
  }

  /** The pickers name this entry (and drop the reader's file from them). */
  showPicked(entry: ShippedVolumeEntry): void {
    const organ = this.ui.q<HTMLSelectElement>('[data-organ]');
    organ.querySelector(`option[value="${USER_VALUE}"]`)?.remove();
    organ.value = String(entry.label);
    this.fillVolumes(entry.id);
  }

  /** Fills the volume picker with the organ picker's volumes. */
  fillVolumes(selected?: string): void {
    if (!this.index) return;
    const label = Number(this.ui.q<HTMLSelectElement>('[data-organ]').value);
    const sel = this.ui.q<HTMLSelectElement>('[data-volume]');
    sel.innerHTML = '';
    for (const v of volumesByLabel(this.index).get(label) ?? []) sel.add(new Option(`${v.id} (${v.displayName})`, v.id));
    sel.disabled = false;
    if (selected) sel.value = selected;
  }

  /** The pickers show the reader's own file while it is open. */
  showUserFile(name: string): void {
    for (const sel of ['[data-organ]', '[data-volume]']) {
      const s = this.ui.q<HTMLSelectElement>(sel);
      s.querySelector(`option[value="${USER_VALUE}"]`)?.remove();
      s.add(new Option(sel === '[data-organ]' ? 'Your file' : name, USER_VALUE), 0);
      s.value = USER_VALUE;
    }
  }

  /** The upload box's message line (an error is shown as one). */
  uploadMessage(text: string, error = false): void {
    const out = this.ui.maybe('[data-upload-msg]');
    if (!out) return;
    out.textContent = text;
    out.classList.toggle('error', error);
  }

  byId(id: string): ShippedVolumeEntry | undefined {
    return this.index?.volumes.find((v) => v.id === id);
  }

  async load(entry: ShippedVolumeEntry): Promise<InputVolume> {
    const vol = parseShippedVolume(await this.fetchBytes(`${this.dir}${entry.file}`), entry, this.index!.dataset.size);
    return {
      id: entry.id,
      entry,
      ct: uint8ToUnit(vol.image),
      mask: vol.mask,
      info: `Test volume ${entry.index} of the ${this.index!.dataset.title ?? this.index!.dataset.name} dataset; true organ: ${entry.displayName}.${vol.mask ? '' : ' No organ mask (the dataset has none).'}`,
      warnings: [],
    };
  }

  /** Reads the reader's file in the browser; throws with a message that names the file. */
  async readFile(file: File): Promise<InputVolume & { description: string }> {
    if (file.size > USER_MAX_FILE_BYTES) throw new Error(`${file.name}: too large: ${formatBytes(file.size)} (limit ${formatBytes(USER_MAX_FILE_BYTES)})`);
    const p = await parseUpload(file, this.size, (read, total) => this.uploadMessage(`Reading ${file.name} in your browser: ${formatBytes(read)} of ${formatBytes(total)}…`));
    return { id: file.name, entry: null, ct: p.volume, mask: null, info: `Your file ${file.name}: ${p.description} No ground-truth mask.`, description: p.description, warnings: p.warnings };
  }
}
