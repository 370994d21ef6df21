// bench:chaos's rules for a rollout's end and for whose fault a failed client request was.
import { describe, expect, it } from 'vitest';
import {
  checkRollout,
  expectedOutcome,
  rolledBackByOutage,
  tallyClientErrors,
  type ClientAnswer,
  type Injection,
  type RolloutRun,
} from '../../bench/chaos-checks';

const run = (over: Partial<RolloutRun> = {}): RolloutRun => ({
  id: 'r1',
  candidate: 'good',
  startedAt: 1_000,
  endedAt: 60_000,
  status: 'COMPLETED',
  outcome: 'promoted',
  route: { weights: { baseline: 0, candidate: 100 }, shadowEnabled: false, models: ['cand'] },
  candidateModel: 'cand',
  events: [],
  ...over,
});
const rolledBack = (over: Partial<RolloutRun> = {}) =>
  run({
    outcome: 'rolled_back',
    reason: 'canary-1: critical regression',
    route: { weights: { baseline: 100, candidate: 0 }, shadowEnabled: false, models: ['base'] },
    ...over,
  });
const rolledBackOf = (reason: string) => rolledBack({ reason });
const injection = (over: Partial<Injection>): Injection => ({
  kind: 'worker_kill',
  moment: 'any',
  from: 10_000,
  to: 12_000,
  ...over,
});

describe('expectedOutcome', () => {
  it('promotes a good candidate through crashes, and rolls back a bad one, a signalled one or a broken one', () => {
    expect(expectedOutcome(run(), [injection({ kind: 'temporal_kill', rollout: 'r1', moment: 'canary' })])).toBe(
      'promoted',
    );
    expect(expectedOutcome(run({ candidate: 'bad' }), [])).toBe('rolled_back');
    expect(expectedOutcome(run(), [injection({ moment: 'rollback_signal', rollout: 'r1' })])).toBe('rolled_back');
    expect(expectedOutcome(run(), [injection({ kind: 'backend_hang', moment: 'canary', rollout: 'r1' })])).toBe(
      'rolled_back',
    );
    // A signal the server did not take (it was down), or one that came after the promotion.
    expect(expectedOutcome(run(), [injection({ moment: 'rollback_signal', rollout: 'r1', signalled: false })])).toBe(
      'promoted',
    );
    expect(
      expectedOutcome(run({ events: ['promoted', 'rollback_ignored'] }), [
        injection({ moment: 'rollback_signal', rollout: 'r1', signalled: true }),
      ]),
    ).toBe('promoted');
    // Aimed at another rollout: not this one's business.
    expect(expectedOutcome(run(), [injection({ kind: 'backend_reset', moment: 'shadow', rollout: 'r2' })])).toBe(
      'promoted',
    );
  });
});

describe('checkRollout', () => {
  it('passes a promoted good candidate serving its model and a rolled-back bad one at baseline', () => {
    expect(checkRollout(run(), []).problems).toEqual([]);
    expect(checkRollout(rolledBack({ candidate: 'bad' }), []).problems).toEqual([]);
  });

  it('a rollout that never ended is stuck', () => {
    const check = checkRollout(run({ endedAt: null, status: 'RUNNING', outcome: 'awaiting_approval' }), []);
    expect(check.stuck).toBe(true);
    expect(check.problems[0]).toContain('still RUNNING');
  });

  it('a failed workflow, or the wrong outcome for its candidate, is wrong', () => {
    expect(checkRollout(run({ status: 'FAILED', outcome: undefined }), []).wrongOutcome).toBe(true);
    expect(checkRollout(run({ candidate: 'bad' }), []).wrongOutcome).toBe(true);
    expect(checkRollout(rolledBack(), []).wrongOutcome).toBe(true);
  });

  it('a good candidate rolled back because an outage hid its canary is the plan working, not a wrong call', () => {
    const hidden = rolledBack({ reason: 'canary-1: the canary cannot be observed (5 failed metric reads)' });
    expect(
      checkRollout(hidden, [injection({ kind: 'prometheus_unreachable', from: 5_000, to: 70_000 })]).problems,
    ).toEqual([]);
    // So is one whose traffic move could not land while the gateway was out.
    const unmoved = rolledBackByOutage(
      rolledBackOf('setCandidateWeight failed: The operation was aborted due to timeout'),
      [injection({ kind: 'gateway_unreachable', from: 5_000, to: 70_000 })],
    );
    expect(unmoved).toBe(true);
    // …but only with an outage during its life.
    expect(
      checkRollout(hidden, [injection({ kind: 'prometheus_unreachable', from: 90_000, to: 150_000 })]).wrongOutcome,
    ).toBe(true);
  });

  it('after a rollback the route must hold nothing on the candidate and no mirroring, and must exist', () => {
    const left = rolledBack({
      candidate: 'bad',
      route: { weights: { baseline: 75, candidate: 25 }, shadowEnabled: false, models: ['base', 'cand'] },
    });
    expect(checkRollout(left, []).trafficLeftOnCandidate).toBe(true);
    const mirroring = rolledBack({
      candidate: 'bad',
      route: { weights: { baseline: 100, candidate: 0 }, shadowEnabled: true, models: ['base'] },
    });
    expect(checkRollout(mirroring, []).problems).toEqual(['route left at candidate 0 % with mirroring on']);
    expect(checkRollout(rolledBack({ candidate: 'bad', route: null }), []).problems).toEqual([
      'route missing after the rollout',
    ]);
  });

  it('a promotion must leave the route serving the candidate alone', () => {
    const half = run({
      route: { weights: { baseline: 50, candidate: 50 }, shadowEnabled: false, models: ['base', 'cand'] },
    });
    expect(checkRollout(half, []).problems).toEqual(['promoted but the route serves base, cand']);
  });
});

describe('tallyClientErrors', () => {
  const answer = (over: Partial<ClientAnswer>): ClientAnswer => ({
    route: 'r1',
    status: 502,
    backend: 'baseline',
    sentAt: 20_000,
    doneAt: 20_050,
    ...over,
  });

  it('splits failures into gateway outages, the candidate’s own, and the system’s fault', () => {
    const injections = [
      injection({ kind: 'gateway_kill', from: 10_000, to: 11_000 }),
      injection({ kind: 'worker_kill', from: 30_000, to: 35_000 }),
    ];
    const tally = tallyClientErrors(
      [
        answer({ status: 200 }),
        answer({ status: 0, backend: null, sentAt: 10_500, doneAt: 10_600 }),
        // In flight as the gateway died, within the slack.
        answer({ status: 0, backend: null, sentAt: 9_900, doneAt: 9_950 }),
        answer({ status: 504, backend: 'candidate' }),
        // A worker crash is no excuse for a failed client request.
        answer({ status: 502, backend: 'baseline', sentAt: 31_000, doneAt: 31_010 }),
      ],
      injections,
    );
    expect(tally.duringGatewayOutage).toBe(2);
    expect(tally.onCandidate).toBe(1);
    expect(tally.attributable).toHaveLength(1);
    expect(tally.attributable[0]!.sentAt).toBe(31_000);
  });
});
