/** DOM helpers and wording shared by the explorer's modules. */
import type { BackendName } from '../../lib/model/backend';
import { methodLabel } from '../../lib/cam/methods';

export const BACKEND_LABEL: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly (SIMD)', cpu: 'plain JavaScript (CPU)' };

export function methodName(m: string): string {
  return methodLabel(m);
}

export function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The explorer's root element and the parts of it the modules talk to. */
export class Ui {
  constructor(readonly root: HTMLElement) {}

  q<T extends HTMLElement = HTMLElement>(sel: string): T {
    const el = this.root.querySelector<T>(sel);
    if (!el) throw new Error(`explorer: missing ${sel}`);
    return el;
  }
  maybe<T extends HTMLElement = HTMLElement>(sel: string): T | null {
    return this.root.querySelector<T>(sel);
  }
  text(sel: string, t: string): void {
    this.q(sel).textContent = t;
  }

  showError(text: string, retry: (() => void) | null): void {
    const box = this.q('[data-error]');
    this.text('[data-error-text]', text);
    const btn = this.q<HTMLButtonElement>('[data-retry]');
    btn.hidden = !retry;
    btn.onclick = retry
      ? () => {
          box.hidden = true;
          retry();
        }
      : null;
    box.hidden = false;
  }
  clearError(): void {
    this.q('[data-error]').hidden = true;
  }

  /** Loading progress: null hides it; frac < 0 is indeterminate. */
  progress(label: string | null, frac = 0): void {
    const box = this.q('[data-model-progress]');
    box.hidden = label === null;
    if (label === null) return;
    this.text('[data-model-progress-label]', label);
    const p = box.querySelector('progress')!;
    if (frac < 0) p.removeAttribute('value');
    else p.value = frac;
  }
}
