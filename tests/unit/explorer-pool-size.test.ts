import { describe, expect, it } from 'vitest';
import { WORKER_MEMORY_MB, poolSizeFor } from '../../src/components/explorer/runtime/client';

describe('explorer pool size', () => {
  it('one worker per core, capped by half the memory at the measured size per worker', () => {
    expect(poolSizeFor({ hardwareConcurrency: 2, deviceMemory: 8 }).size).toBe(2);
    expect(poolSizeFor({ hardwareConcurrency: 16, deviceMemory: 8 }).size).toBe(Math.floor((8 * 1024 * 0.5) / WORKER_MEMORY_MB));
    expect(poolSizeFor({ hardwareConcurrency: 16, deviceMemory: 0.5 }).size).toBe(1);
    // no deviceMemory (Firefox, Safari): 4 GB assumed
    const r = poolSizeFor({ hardwareConcurrency: 12 });
    expect(r.size).toBe(Math.floor((4 * 1024 * 0.5) / WORKER_MEMORY_MB));
    expect(r.reason).toMatch(/assumed 4 GB/);
    expect(poolSizeFor({}).size).toBe(1);
  });
  it('?workers=N overrides; nonsense is ignored', () => {
    expect(poolSizeFor({ hardwareConcurrency: 2 }, '5').size).toBe(5);
    expect(poolSizeFor({ hardwareConcurrency: 2, deviceMemory: 8 }, '0').size).toBe(2);
    expect(poolSizeFor({ hardwareConcurrency: 2, deviceMemory: 8 }, 'x').size).toBe(2);
  });
});
