// Which data-plane workers hold which version of the route table, so an admin change answers
// only once it is in force everywhere (cluster-primary.ts). `version` counts table changes and
// rises when a change is made, before it is sent; a worker joins when it asks for the table and
// leaves when it exits. Waiting is bounded: whoever has not acknowledged by then is named, and
// the primary kills it (a restarted worker gets the current table before it serves).
export class TableSync<Id> {
  private current = 0;
  private readonly acked = new Map<Id, number>();
  private readonly waiters = new Set<() => void>();

  get version(): number {
    return this.current;
  }

  /** A change was made: the version every worker must reach now. */
  changed(): number {
    return ++this.current;
  }

  join(id: Id): void {
    if (!this.acked.has(id)) this.acked.set(id, -1);
  }

  leave(id: Id): void {
    this.acked.delete(id);
    this.wake();
  }

  ack(id: Id, version: number): void {
    const had = this.acked.get(id);
    if (had === undefined || version <= had) return;
    this.acked.set(id, version);
    this.wake();
  }

  /** Workers that joined and have not applied `version` yet. */
  behind(version: number): Id[] {
    return [...this.acked].filter(([, acked]) => acked < version).map(([id]) => id);
  }

  /** Resolves with [] once every joined worker applied `version`, or with the laggards after `timeoutMs`. */
  waitFor(version: number, timeoutMs: number): Promise<Id[]> {
    if (this.behind(version).length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const check = () => {
        if (this.behind(version).length > 0) return;
        finish();
      };
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.behind(version));
      };
      const timer = setTimeout(finish, timeoutMs);
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
