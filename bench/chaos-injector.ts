// bench:chaos's fault injector: picks a fault and a moment (a stage, a gate, a compensation or a
// rollback signal some running rollout is at, or any time), waits for that moment and injects it.
// One fault at a time per component; a component's next fault waits until it is healthy again.
import type { Injection, InjectionKind, InjectionMoment } from './chaos-checks';
import type { ChaosRollout } from './chaos-rollouts';
import { sleep, type ChaosStack } from './chaos-stack';

/** How often each kind is drawn: quick crashes mostly, a few minute-long outages, broken candidates. */
const KIND_WEIGHTS: Record<InjectionKind, number> = {
  worker_kill: 20,
  temporal_kill: 12,
  gateway_kill: 18,
  gateway_unreachable: 4,
  prometheus_unreachable: 4,
  backend_hang: 7,
  backend_reset: 7,
  backend_garbage: 7,
};
type Component = 'worker' | 'temporal' | 'gateway' | 'prometheus';
const COMPONENT: Partial<Record<InjectionKind, Component>> = {
  worker_kill: 'worker',
  temporal_kill: 'temporal',
  gateway_kill: 'gateway',
  gateway_unreachable: 'gateway',
  prometheus_unreachable: 'prometheus',
};
const CRASHES: ReadonlySet<InjectionKind> = new Set(['worker_kill', 'temporal_kill', 'gateway_kill']);
/** "For a minute or more". */
const OUTAGE_MS = { min: 60_000, max: 70_000 };
const MOMENT_WAIT_MS = 15_000;
const AIMED_MOMENTS: InjectionMoment[] = ['shadow', 'canary', 'cutover', 'gate', 'compensating', 'rollback_signal'];

export class ChaosInjector {
  readonly injections: Injection[] = [];
  private readonly busy = new Set<Component>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly broken = new Set<string>();

  constructor(
    private readonly stack: ChaosStack,
    private readonly running: () => ChaosRollout[],
    private readonly random: () => number,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts one injection of a kind whose component is free; resolves once it is under way. */
  async injectOne(): Promise<void> {
    const kinds = (Object.keys(KIND_WEIGHTS) as InjectionKind[]).filter((kind) => {
      const component = COMPONENT[kind];
      return component === undefined || !this.busy.has(component);
    });
    const kind = this.weighted(kinds);
    const component = COMPONENT[kind];
    if (component) this.busy.add(component);
    const done = this.run(kind)
      .catch((error: unknown) => this.log(`  injection ${kind} failed to run: ${(error as Error).message}`))
      .finally(() => {
        if (component) this.busy.delete(component);
        this.inFlight.delete(done);
      });
    this.inFlight.add(done);
    // Let the aimed-at moment be found before the next pick.
    await Promise.race([done, sleep(200)]);
  }

  /** Injections under way. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Every injection over and its component healthy again. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async run(kind: InjectionKind): Promise<void> {
    if (!CRASHES.has(kind) && COMPONENT[kind]) return this.outage(kind);
    if (!COMPONENT[kind]) return this.breakCandidate(kind);
    const moment = this.pickMoment();
    const target = moment === 'any' ? null : await this.waitFor(moment);
    const aimed: InjectionMoment = target ? moment : 'any';
    let signalled: boolean | undefined;
    if (aimed === 'rollback_signal') {
      // The fault lands within milliseconds of the signal, before or after it reaches the worker.
      signalled = await target!.rollback('chaos: rollback just before a crash');
      await sleep(Math.floor(this.random() * 20));
    }
    const from = Date.now();
    const downMs = Math.floor(this.random() * 2_000);
    if (kind === 'worker_kill') await this.stack.killWorker(downMs);
    else if (kind === 'temporal_kill') await this.stack.killTemporal(downMs);
    else await this.stack.killGateway(downMs);
    this.record({
      kind,
      moment: aimed,
      ...(target && { rollout: target.options.id }),
      ...(signalled !== undefined && { signalled }),
      from,
      to: Date.now(),
    });
  }

  private async outage(kind: InjectionKind): Promise<void> {
    const ms = OUTAGE_MS.min + Math.floor(this.random() * (OUTAGE_MS.max - OUTAGE_MS.min));
    const from = Date.now();
    if (kind === 'gateway_unreachable') await this.stack.freezeGateway(ms);
    else await this.stack.freezePrometheus(ms);
    this.record({ kind, moment: 'any', from, to: Date.now() });
  }

  /** A running rollout's candidate starts hanging, resetting or answering garbage, for good. */
  private async breakCandidate(kind: InjectionKind): Promise<void> {
    const target = await this.waitFor(this.random() < 0.5 ? 'shadow' : 'canary', (rollout) => {
      return !this.broken.has(rollout.options.id);
    });
    if (!target) return this.log(`  ${kind}: no rollout in its shadow or canary to break`);
    this.broken.add(target.options.id);
    target.breakCandidate(kind === 'backend_hang' ? 'hang' : kind === 'backend_reset' ? 'reset' : 'garbage');
    const at = Date.now();
    const moment = target.status?.stage?.startsWith('canary') ? 'canary' : 'shadow';
    this.record({ kind, moment, rollout: target.options.id, from: at, to: at });
  }

  private pickMoment(): InjectionMoment {
    return this.random() < 0.25 ? 'any' : AIMED_MOMENTS[Math.floor(this.random() * AIMED_MOMENTS.length)]!;
  }

  /** A running rollout at the moment (by its last status), waited for up to MOMENT_WAIT_MS. */
  private async waitFor(
    moment: InjectionMoment,
    eligible: (rollout: ChaosRollout) => boolean = () => true,
  ): Promise<ChaosRollout | null> {
    const deadline = Date.now() + MOMENT_WAIT_MS;
    while (Date.now() < deadline) {
      const at = this.running().filter(
        (rollout) => rollout.endedAt === null && eligible(rollout) && isAt(rollout, moment),
      );
      if (at.length > 0) return at[Math.floor(this.random() * at.length)]!;
      await sleep(50);
    }
    return null;
  }

  private record(injection: Injection): void {
    this.injections.push(injection);
    const target = injection.rollout ? ` ${injection.rollout}` : '';
    this.log(
      `  [${this.injections.length}] ${injection.kind} at ${injection.moment}${target}: healthy again after ${injection.to - injection.from} ms`,
    );
  }

  private weighted(kinds: InjectionKind[]): InjectionKind {
    const total = kinds.reduce((sum, kind) => sum + KIND_WEIGHTS[kind], 0);
    let draw = this.random() * total;
    for (const kind of kinds) {
      draw -= KIND_WEIGHTS[kind];
      if (draw < 0) return kind;
    }
    return kinds.at(-1)!;
  }
}

function isAt(rollout: ChaosRollout, moment: InjectionMoment): boolean {
  const status = rollout.status;
  if (!status || status.phase === 'finished' || status.phase === 'promoted') return false;
  switch (moment) {
    case 'shadow':
      return status.stage === 'shadow' && !status.gate;
    case 'canary':
      return (status.stage?.startsWith('canary') ?? false) && !status.gate;
    case 'cutover':
      return status.stage === 'cutover';
    case 'gate':
      return status.gate !== null;
    case 'compensating':
      return status.phase === 'compensating';
    case 'rollback_signal':
      return status.phase === 'observing' || status.phase === 'awaiting_approval';
    case 'any':
      return true;
  }
}
