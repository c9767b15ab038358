import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScript, writeTinyDataset } from './cli-helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'scorecam-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm run train', () => {
  it('resumes after being killed: epoch 1 is not redone', async () => {
    const dataDir = writeTinyDataset({ dir: path.join(tmp, 'data'), size: 28, counts: [16, 8, 4] });
    const runs = path.join(tmp, 'runs');
    const args = ['scripts/train.ts', '--data', dataDir, '--dataset', 'phantom', '--size', '28', '--limit', '16', '--epochs', '2', '--batch', '2', '--runs', runs, '--name', 'r'];
    const state = path.join(runs, 'r', 'checkpoint', 'state.json');

    let killedAfter = -1;
    const first = await runScript(args, {
      onSpawn: (p) => {
        const poll = setInterval(() => {
          if (!existsSync(state)) return;
          clearInterval(poll);
          process.kill(-p.pid!, 'SIGKILL'); // tsx and its node child
          killedAfter = JSON.parse(readFileSync(state, 'utf8')).history.epochs.length;
        }, 10);
        p.on('close', () => clearInterval(poll));
      },
    });
    expect(first.signal, first.out).toBe('SIGKILL');
    expect(killedAfter).toBe(1);
    const epoch1 = JSON.parse(readFileSync(path.join(runs, 'r', 'history.json'), 'utf8')).epochs[0];

    const second = await runScript([...args, '--resume']);
    expect(second.code, second.out).toBe(0);
    expect(second.out).toMatch(/resumed r after epoch 1/);
    expect(second.out).not.toMatch(/epoch 1\/2/); // no progress line for epoch 1: it was not trained again
    expect(second.out).toMatch(/epoch 2: train loss/);
    const history = JSON.parse(readFileSync(path.join(runs, 'r', 'history.json'), 'utf8'));
    expect(history.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    expect(history.epochs[0]).toEqual(epoch1);
    for (const f of ['best/model.json', 'best/weights.bin', 'best/epoch.json', 'checkpoint/state.json', 'checkpoint/weights.bin', 'checkpoint/optimizer.bin']) {
      expect(existsSync(path.join(runs, 'r', f)), f).toBe(true);
    }
  });
});
