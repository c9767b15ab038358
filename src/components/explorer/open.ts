/**
 * Opening a volume in the explorer: the shipped index, a shipped volume (with the build's CAMs of
 * it), or the reader's own file. Each bumps the explorer's token, so a slower earlier load that
 * finishes later is dropped, and hands the volume to the controller.
 */
import { isAbortError } from '../../lib/util/async';
import type { ShippedVolumeEntry } from '../../lib/data/shipped';
import { loadPrecomputed, type PrecomputedCam } from './precomputed';
import type { InputVolume, VolumeSource } from './volumes';
import { msg, type Ui } from './ui';
import { ownFileLinkMessage, unknownVolumeMessage } from '../../lib/site/volume-link';

/** What opening a volume needs of the page (explorer.ts provides it; this module never imports it). */
export interface OpenHost {
  readonly ui: Ui;
  readonly volumes: VolumeSource;
  readonly params: URLSearchParams;
  readonly model: { cancel(): void };
  /** Starts a load and returns its token; a load whose token is no longer current is dropped. */
  newLoad(): number;
  isCurrent(token: number): boolean;
  setVolume(v: InputVolume, pre: PrecomputedCam[]): void;
  afterVolume(token: number): Promise<void>;
}

/** The line beside the pickers that says the link named no shipped volume (hidden when another volume opens). */
function volumeNote(ex: OpenHost, text: string | null): void {
  const p = ex.ui.maybe('[data-volume-error]');
  if (!p) return;
  p.textContent = text ?? '';
  p.hidden = !text;
}

export async function openIndex(ex: OpenHost, wanted?: string): Promise<void> {
  ex.ui.progress('Loading the list of test volumes…', -1);
  let first: ShippedVolumeEntry;
  try {
    first = await ex.volumes.loadIndex(wanted);
  } catch (e) {
    ex.ui.progress(null);
    ex.ui.showError(`Could not load the test volumes (${msg(e)}).`, () => void openIndex(ex, wanted));
    return;
  }
  await openEntry(ex, first);
  // an unknown ?volume= id, or a link made while a reader's own file was open: said, never silently replaced
  const file = ex.params.get('file');
  if (wanted && first.id !== wanted) volumeNote(ex, unknownVolumeMessage(wanted, ex.volumes.index?.volumes.map((v) => v.id) ?? [], first.id));
  else if (!wanted && file) volumeNote(ex, ownFileLinkMessage(first.id));
}

export async function openEntry(ex: OpenHost, entry: ShippedVolumeEntry): Promise<void> {
  const token = ex.newLoad();
  volumeNote(ex, null);
  ex.model.cancel();
  ex.ui.progress(`Loading volume ${entry.id}…`, -1);
  let v: InputVolume, pre: PrecomputedCam[] = [];
  try {
    v = await ex.volumes.load(entry);
    if (ex.ui.root.dataset.precomputed === '1') pre = await loadPrecomputed(ex.volumes.url(''), entry.index, ex.volumes.size).catch(() => []);
  } catch (e) {
    ex.ui.progress(null);
    ex.ui.showError(`Could not load volume ${entry.id} (${msg(e)}).`, () => void openEntry(ex, entry));
    return;
  }
  if (!ex.isCurrent(token)) return;
  ex.ui.clearError();
  ex.ui.progress(null);
  ex.volumes.showPicked(entry);
  ex.setVolume(v, pre);
  void ex.afterVolume(token);
}

export async function openFile(ex: OpenHost, file: File): Promise<void> {
  const say = (t: string, err = false) => ex.volumes.uploadMessage(t, err);
  say(`Reading ${file.name} in your browser…`);
  try {
    const v = await ex.volumes.readFile(file);
    // parsing ends here; drawing the new volume starts in a task of its own (the browser test times them apart)
    performance.mark('upload-parsed');
    await new Promise((r) => setTimeout(r, 0));
    const token = ex.newLoad();
    volumeNote(ex, null);
    delete ex.ui.root.dataset.uploadError;
    ex.volumes.showUserFile(file.name);
    ex.setVolume(v, []);
    say(`Opened ${file.name}: ${v.description}`);
    ex.ui.text('[data-cam-status]', 'Your volume: no precomputed CAM.');
    ex.ui.root.dataset.source = 'user';
    await ex.afterVolume(token);
  } catch (e) {
    if (isAbortError(e)) return; // a newer upload replaced this one
    const text = msg(e).replace(new RegExp('^' + file.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + ':\\s*'), '').replace(/\.?$/, '.');
    say(`Could not open ${file.name}: ${text} The explorer keeps the current volume.`, true);
    ex.ui.root.dataset.uploadError = '1';
  }
}
