// One bench:chaos rollout from start to end: its own route and candidate backend, live load on the
// route for its whole life, a release owner who approves each gate after a few seconds, and what it
// saw (its last status, whether it ended, the route left behind, every client answer). Every call to
// Temporal or the gateway may fail while a fault is on, so each is retried or skipped, never fatal.
import type { Client } from '@temporalio/client';
import { rolloutHandle, startRollout, type RolloutHandle } from '../client/rollouts';
import { parsePlan } from '../plan/schema';
import { runLoad } from '../simulator/load-generator';
import { startSimulatedBackend, type SimulatedBackend } from '../simulator/sim-backend';
import { FailureType } from '../workflows/failure-types';
import { approveUpdate, rollbackSignal, statusQuery, type RolloutStatus } from '../workflows/model-rollout';
import type { ClientAnswer, RolloutRun } from './chaos-checks';
import { sleep, type ChaosStack } from './chaos-stack';

const LOAD_RPS = 12;
const GATE_CLOSED: ReadonlySet<string> = new Set([
  FailureType.RolloutFinished,
  FailureType.NoOpenGate,
  FailureType.GateAlreadyDecided,
  FailureType.StaleGate,
]);
const OWNER = 'owner';
/** Who starts each rollout: a requester may not approve their own rollout. */
const REQUESTER = 'release-bot';
const STATUS_POLL_MS = 400;
/** A healthy candidate and a broken one: the bad one fails this share of its requests from the start. */
const BAD_ERROR_RATE = 0.3;

export interface ChaosRolloutOptions {
  id: string;
  candidate: 'good' | 'bad';
  /** Judged from the gateway's records, or from Prometheus series of the same gateway. */
  source: 'records' | 'prometheus';
  /** The last canary step waits for the owner's approval. */
  gated: boolean;
  baselineUrl: string;
  seed: number;
}

const FAST = { latencyMedianMs: 15, latencySigma: 0.15, maxConcurrency: 256 };

export class ChaosRollout {
  readonly answers: ClientAnswer[] = [];
  /** The last status a query returned (queries need a worker: stale while none runs). */
  status: RolloutStatus | null = null;
  startedAt = 0;
  endedAt: number | null = null;
  workflowStatus = 'UNKNOWN';
  private handle: RolloutHandle | null = null;
  private sim: SimulatedBackend | null = null;
  private readonly stopLoad = new AbortController();
  private load: Promise<unknown> | null = null;
  private approving = new Set<string>();

  constructor(
    private readonly stack: ChaosStack,
    private readonly client: Client,
    readonly options: ChaosRolloutOptions,
  ) {}

  get candidateModel(): string {
    return `sim-chaos-cand-${this.options.seed}`;
  }

  /** Breaks this rollout's candidate backend (hang, reset or garbage) for the rest of its life. */
  breakCandidate(fault: 'hang' | 'reset' | 'garbage'): void {
    this.sim?.setBehaviour({ fault });
  }

  /** Sends `rollback`; false when the server did not take it (it was down). */
  async rollback(reason: string): Promise<boolean> {
    return rolloutHandle(this.client, this.options.id)
      .signal(rollbackSignal, { reason, by: OWNER })
      .then(() => true)
      .catch(() => false);
  }

  /** Runs the rollout to its end (or `deadline`), then reads what it left. */
  async run(deadline: number): Promise<RolloutRun> {
    const { id } = this.options;
    this.sim = await startSimulatedBackend({
      model: this.candidateModel,
      behaviour: { ...FAST, seed: this.options.seed, errorRate: this.options.candidate === 'bad' ? BAD_ERROR_RATE : 0 },
    });
    try {
      await retry(deadline, () =>
        this.stack.admin().defineRoute(id, {
          backends: [{ name: 'baseline', baseUrl: this.options.baselineUrl, model: 'sim-chaos-base' }],
        }),
      );
      this.startLoad();
      this.startedAt = Date.now();
      this.handle = await retry(deadline, () => this.start());
      await this.follow(deadline);
      // A moment of traffic after the end, to see where it goes.
      await sleep(1_500);
      return { ...(await this.result(deadline)) };
    } finally {
      this.stopLoad.abort();
      await this.load?.catch(() => undefined);
      await this.sim.close();
    }
  }

  private start(): Promise<RolloutHandle> {
    const { id } = this.options;
    return startRollout(this.client, plan(this.stack, this.options, this.candidateModel, this.sim!.url), {
      taskQueue: this.stack.taskQueue,
      requestedBy: REQUESTER,
    }).catch(async (error: unknown) => {
      // A start that reached the server before a fault cut the answer: the rollout is running.
      if (/already running/.test((error as Error).message)) return rolloutHandle(this.client, id);
      throw error;
    });
  }

  private startLoad(): void {
    this.load = runLoad({
      gatewayUrl: this.stack.gatewayUrl,
      routes: [this.options.id],
      ratePerSecond: LOAD_RPS,
      durationMs: 3_600_000,
      users: 100,
      jsonShare: 0.3,
      requestTimeoutMs: 5_000,
      seed: this.options.seed,
      signal: this.stopLoad.signal,
      onResponse: (answer) => {
        if (this.stopLoad.signal.aborted) return;
        const doneAt = Date.now();
        this.answers.push({
          route: answer.route,
          status: answer.status,
          backend: answer.backend,
          sentAt: doneAt - answer.latencyMs,
          doneAt,
        });
      },
    });
  }

  /** Until the run closes (or reaches its promoted phase), approving gates as they open. */
  private async follow(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const described = await this.handle!.describe().catch(() => null);
      if (described) this.workflowStatus = described.status.name;
      if (described && described.status.name !== 'RUNNING') {
        this.endedAt = described.closeTime?.getTime() ?? Date.now();
        return;
      }
      const status = await withTimeout(this.handle!.query(statusQuery), 1_500).catch(() => null);
      if (status) {
        this.status = status;
        if (status.gate && !this.approving.has(status.gate.id)) this.approve(status.gate.id);
      }
      await sleep(STATUS_POLL_MS);
    }
  }

  /** The owner approves after 1–3 s, as someone reading the Slack message would; retried while faults are on. */
  private approve(gateId: string): void {
    this.approving.add(gateId);
    void (async () => {
      await sleep(1_000 + ((this.options.seed * 7919 + gateId.length * 31) % 2_000));
      let lastError: unknown;
      for (let attempt = 0; attempt < 20 && this.endedAt === null; attempt++) {
        try {
          await withTimeout(this.handle!.executeUpdate(approveUpdate, { args: [{ by: OWNER, gateId }] }), 5_000);
          return;
        } catch (error) {
          // A gate that closed meanwhile (a rollback, a timeout, an approval that landed before a fault cut its answer).
          if (GATE_CLOSED.has((error as { cause?: { type?: string } }).cause?.type ?? '')) return;
          lastError = error;
          await sleep(1_000);
        }
      }
      if (this.endedAt === null)
        console.log(
          `  approval of ${this.options.id} gave up: ${(lastError as Error)?.message} (${(lastError as { cause?: Error })?.cause?.message ?? 'no cause'})`,
        );
    })();
  }

  private async result(deadline: number): Promise<RolloutRun> {
    const { id } = this.options;
    let outcome: string | undefined;
    let reason: string | undefined;
    let events: string[] = [];
    if (this.endedAt !== null) {
      const final = await retry(deadline + 60_000, () => this.handle!.result()).catch(() => null);
      outcome = final?.outcome;
      reason = final?.reason;
      events = final?.timeline.map((event) => event.type) ?? [];
      if (!final) this.workflowStatus = (await this.handle!.describe().catch(() => null))?.status.name ?? 'FAILED';
    } else {
      outcome = this.status?.outcome ?? this.status?.phase;
    }
    const route = await retry(deadline + 60_000, () => this.stack.admin().getRoute(id)).catch(() => null);
    return {
      id,
      candidate: this.options.candidate,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      status: this.workflowStatus,
      ...(outcome !== undefined && { outcome }),
      ...(reason !== undefined && { reason }),
      events,
      route: route && {
        weights: route.weights,
        shadowEnabled: route.shadow.enabled,
        models: route.backends.map((backend) => backend.model),
      },
      candidateModel: this.candidateModel,
    };
  }
}

/** Shadow soak, two canary steps (the second gated on some), a bake; checks 1 s apart; no revert window. */
function plan(stack: ChaosStack, options: ChaosRolloutOptions, candidateModel: string, candidateUrl: string) {
  return parsePlan({
    rollout: { id: options.id, name: `chaos ${options.id}`, requestedBy: REQUESTER },
    backends: {
      baseline: { baseUrl: options.baselineUrl, model: 'sim-chaos-base' },
      candidate: { baseUrl: candidateUrl, model: candidateModel },
    },
    router: { kind: 'gateway', adminUrl: stack.adminUrl, route: options.id },
    prometheus: { url: stack.prometheusUrl },
    metrics: options.source === 'prometheus' ? { source: 'prometheus', referenceLookback: '1m' } : {},
    stages: {
      shadow: { enabled: true, share: 0.5, window: '5s' },
      goldenEval: { enabled: false },
      canary: {
        checkInterval: '1s',
        steps: [
          { weight: 25, window: '8s' },
          { weight: 50, window: '8s', requireApproval: options.gated },
        ],
      },
      cutover: { bake: '4s', revertWindow: '0s' },
    },
    approvals: { requiredBefore: [], approvers: [OWNER] },
    guardrails: { minRequests: 20, maxMetricFailures: 5 },
  });
}

async function retry<T>(deadline: number, attempt: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await withTimeout(attempt(), 10_000);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
