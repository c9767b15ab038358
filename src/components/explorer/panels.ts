/** The explorer's small text panels: the backend (choice, measured times, switch) and the class probabilities. */
import { displayName } from '../../lib/data/labels';
import type { BackendName } from '../../lib/model/backend';
import { BACKEND_ORDER, type ModelRunner } from './runtime/model';
import { BACKEND_LABEL, type Ui } from './ui';
import type { OodResult } from '../../lib/ood/score';

/** Badge, measured times and a one-click switch to every other backend. */
export function renderBackend(ui: Ui, model: ModelRunner, choice: BackendName | 'auto', onSwitch: (b: BackendName | 'auto') => void): void {
  const init = model.init;
  if (!init) return;
  ui.text('[data-backend-badge]', `Running on ${BACKEND_LABEL[init.backend]}`);
  ui.root.dataset.backend = init.backend;
  const notes: string[] = [];
  if (model.fallbackNote) notes.push(model.fallbackNote);
  const failed = init.attempts.filter((a) => !a.ok);
  if (failed.length) notes.push(`Fell back: ${failed.map((a) => `${BACKEND_LABEL[a.backend]} unavailable (${a.error})`).join('; ')}.`);
  if (choice === 'auto' && model.measurements.length) {
    const parts = model.measurements.map((m) =>
      m.forwardMs !== undefined ? `${BACKEND_LABEL[m.backend]} ${Math.round(m.forwardMs)} ms per forward pass` : `${BACKEND_LABEL[m.backend]} skipped: ${m.skipped}`,
    );
    notes.push(`Chosen as the fastest measured: ${parts.join('; ')}.`);
  } else if (choice !== 'auto') notes.push(`You chose ${BACKEND_LABEL[choice]}.`);
  notes.push(`Model ${init.manifest.name} loaded in ${(init.loadMs / 1000).toFixed(1)} s.`);
  ui.text('[data-backend-note]', notes.join(' '));
  const box = ui.q('[data-backend-switch]');
  box.replaceChildren();
  for (const b of ['auto', ...BACKEND_ORDER] as const) {
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'ex-chip';
    btn.textContent = b === 'auto' ? 'Fastest' : BACKEND_LABEL[b].replace(/ \(.*\)$/, '');
    btn.dataset.backendOption = b;
    const active = b === choice;
    btn.setAttribute('aria-pressed', String(active));
    btn.addEventListener('click', () => {
      if (!active) onSwitch(b);
    });
    box.append(btn);
  }
}

/**
 * The class probabilities and the prediction's line. `ood`: the volume's out-of-distribution score;
 * when it fires, the verdict (the prediction and CAM are no organ finding) is part of the line.
 */
export function renderProbs(ui: Ui, probs: Float32Array | null, predicted: number, truth: number, modelReady: boolean, ood: OodResult | null = null): void {
  ui.q('[data-probs]').querySelectorAll<HTMLElement>('li').forEach((li) => {
    const k = Number(li.dataset.class);
    const p = probs ? probs[k] : 0;
    (li.querySelector('.ex-prob-bar span') as HTMLElement).style.width = `${(p * 100).toFixed(1)}%`;
    li.querySelector('.ex-prob-val')!.textContent = probs ? `${(p * 100).toFixed(1)}%` : '–';
    li.classList.toggle('predicted', k === predicted);
    li.classList.toggle('truth', k === truth);
  });
  const out = ui.q('[data-prediction]');
  if (!probs) out.textContent = modelReady ? 'Classifying…' : 'The prediction appears once the model has loaded.';
  else {
    const ok = truth >= 0 ? (predicted === truth ? ' (correct)' : ` (true organ: ${displayName(truth)})`) : '';
    out.innerHTML = `Predicted: <strong>${displayName(predicted)}</strong>, ${(probs[predicted] * 100).toFixed(1)}%${ok}`;
    if (ood?.flagged && ood.message) {
      const verdict = document.createElement('strong');
      verdict.className = 'ex-ood';
      verdict.dataset.oodVerdict = '';
      verdict.textContent = ood.message;
      out.append(' — but ', verdict);
    } else if (!ood && ui.root.dataset.oodNote) {
      const note = document.createElement('span');
      note.className = 'ex-ood-note';
      note.textContent = ` (${ui.root.dataset.oodNote})`;
      out.append(note);
    }
  }
  ui.root.dataset.predicted = String(predicted);
  ui.root.dataset.ood = probs && ood ? (ood.flagged ? ood.reasons.join(' ') : 'none') : '';
}
