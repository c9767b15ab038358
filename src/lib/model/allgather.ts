/**
 * A blocking all-gather between threads over one SharedArrayBuffer (Atomics.wait/notify), for
 * synchronised batch norm in data-parallel training. It must block: batch norm needs the other
 * workers' statistics in the middle of a forward (and backward) pass that tfjs runs synchronously.
 * Every rank calls `allgather` the same number of times in the same order (they run the same
 * model), so a generation-counted barrier is all the protocol there is. The data slots alternate
 * between two halves by call parity, so one barrier per call suffices: a rank can write the half
 * it wrote two calls ago only after every rank arrived at the call in between, i.e. finished
 * reading it.
 */

const COUNT = 0; // ranks arrived at the current barrier
const GEN = 1; // barrier generation
const ABORT = 2; // set by a rank that failed, so the others stop waiting

export interface AllGatherShared {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  /** Most float64 values one rank contributes per call. */
  capacity: number;
  ranks: number;
}

export function createAllGatherShared(ranks: number, capacity: number): AllGatherShared {
  return { control: new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT), data: new SharedArrayBuffer(2 * ranks * capacity * 8), capacity, ranks };
}

export class AllGather {
  private readonly ctrl: Int32Array;
  private readonly data: Float64Array;
  /** Ranks taking part in the current step (a short last batch may leave some idle). */
  private size: number;
  /** Calls since the step began: its parity picks the data half. */
  private calls = 0;

  constructor(
    readonly shared: AllGatherShared,
    readonly rank: number,
    /** How long a rank waits for the others before it gives up (a crashed worker). */
    private readonly timeoutMs = 600_000,
  ) {
    this.ctrl = new Int32Array(shared.control);
    this.data = new Float64Array(shared.data);
    this.size = shared.ranks;
  }

  /** Called by every active rank before a step: `size` ranks take part (ranks 0…size-1). */
  beginStep(size: number): void {
    this.size = size;
    this.calls = 0;
  }

  /** Every active rank's `values`, in rank order (identical on every rank). */
  allgather(values: ArrayLike<number>): Float64Array[] {
    const cap = this.shared.capacity;
    if (values.length > cap) throw new Error(`allgather: ${values.length} values exceed the capacity ${cap}`);
    const half = (this.calls++ & 1) * this.shared.ranks * cap;
    this.data.set(values, half + this.rank * cap);
    this.barrier();
    return Array.from({ length: this.size }, (_, r) => this.data.slice(half + r * cap, half + r * cap + values.length));
  }

  /** Wakes every waiting rank with an error (call when this rank cannot go on). */
  abort(): void {
    Atomics.store(this.ctrl, ABORT, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
  }

  /** Clears a previous abort and the barrier state (only while no rank is inside a step). */
  reset(): void {
    Atomics.store(this.ctrl, ABORT, 0);
    Atomics.store(this.ctrl, COUNT, 0);
  }

  private barrier(): void {
    if (this.size === 1) return;
    const gen = Atomics.load(this.ctrl, GEN);
    if (Atomics.add(this.ctrl, COUNT, 1) === this.size - 1) {
      Atomics.store(this.ctrl, COUNT, 0);
      Atomics.add(this.ctrl, GEN, 1);
      Atomics.notify(this.ctrl, GEN);
    } else {
      const deadline = Date.now() + this.timeoutMs;
      while (Atomics.load(this.ctrl, GEN) === gen) {
        if (Date.now() > deadline) {
          this.abort();
          throw new Error(`data-parallel training: rank ${this.rank} waited ${this.timeoutMs / 1000}s for the other workers`);
        }
        Atomics.wait(this.ctrl, GEN, gen, 1000);
      }
    }
    if (Atomics.load(this.ctrl, ABORT)) throw new Error('data-parallel training: another worker failed');
  }
}
