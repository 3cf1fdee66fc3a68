// Delays between attempts: exponential from a first delay up to a cap, with "equal jitter"
// (a random point in the upper half) so clients cut off together do not return together.

/** One run of failures; `reset()` after a success. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly initialMs = 250,
    private readonly maxMs = 30_000,
  ) {}

  /** The wait before the next attempt; each call doubles the ceiling. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures, 20));
    this.failures += 1;
    const half = ceiling / 2;
    return Math.round(half + Math.random() * (ceiling - half));
  }

  /** Attempts so far in this run. */
  get attempts(): number {
    return this.failures;
  }

  /** A success: start over. */
  reset() {
    this.failures = 0;
  }
}
