import { describe, expect, it } from 'vitest';
import { BackendError, InputError, classifyError } from '../../src/lib/model/errors';
import { ModelLoadError } from '../../src/lib/model/io';
import { DataFormatError } from '../../src/lib/data/npy';

describe('classifyError', () => {
  it('knows aborts, model, input, backend and memory failures', () => {
    expect(classifyError(new DOMException('stop', 'AbortError')).kind).toBe('abort');
    expect(classifyError(new ModelLoadError('weights.bin: HTTP 404')).kind).toBe('model');
    expect(classifyError(new InputError('volume has 3 values')).kind).toBe('input');
    expect(classifyError(new DataFormatError('x.npy', 'truncated')).kind).toBe('input');
    expect(classifyError(new BackendError('simulated webgpu failure')).kind).toBe('backend');
    expect(classifyError(new Error('WebGL context lost.')).kind).toBe('backend');
    expect(classifyError(new Error('Failed to compile fragment shader.')).kind).toBe('backend');
    expect(classifyError(new Error('GPUDevice was lost: reason unknown')).kind).toBe('backend');
    expect(classifyError(new Error('no TensorFlow.js backend could start: wasm: x')).kind).toBe('backend');
    expect(classifyError(new Error('RuntimeError: Aborted(). Build with -sASSERTIONS for more info.')).kind).toBe('memory');
    expect(classifyError(new RangeError('Array buffer allocation failed')).kind).toBe('memory');
    expect(classifyError(new Error('Requested texture size exceeds; OOM')).kind).toBe('memory');
  });

  it('reports anything else as a bug, with where it happened, not as a backend failure', () => {
    const c = classifyError(new TypeError("Cannot read properties of undefined (reading 'shape')"));
    expect(c.kind).toBe('bug');
    expect(c.name).toBe('TypeError');
    expect(c.message).toMatch(/reading 'shape'.*\(at /);
    expect(classifyError('a string').kind).toBe('bug');
  });
});
