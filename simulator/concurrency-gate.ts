// GPU slots: at most `limit` requests are served at once, the rest wait in arrival (FIFO) order.
// The limit can change at runtime; raising it admits waiting requests immediately.

export class ConcurrencyGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private limit: number) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.admit();
  }

  /** Resolves with a release function once a slot is free. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      this.waiting.push(() => {
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.admit();
        });
      });
      this.admit();
    });
  }

  private admit(): void {
    while (this.active < this.limit && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()?.();
    }
  }
}
