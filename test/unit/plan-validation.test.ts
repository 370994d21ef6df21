// The plan is what a release owner writes; parsePlan is the only thing between a typo and a
// rollout moving production traffic. These tests pin its defaults and its error messages.
import { mkdtemp, readdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGoldenDataset } from '../../evals/golden-dataset';
import { loadPlanFile } from '../../plan/load';
import { resolveMetrics } from '../../plan/metrics-schema';
import { parsePlan, PlanValidationError, type RolloutPlan, type RolloutPlanInput } from '../../plan/schema';
import { HAPROXY_ROUTER, problemsOf } from '../support/plans';

const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples');

/** The smallest plan the docs promise works: id, two backends, approvers for the default gates. */
function minimal(): RolloutPlanInput {
  return {
    rollout: { id: 'support-bot-v2' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:9001/v1', model: 'llama-8b' },
      candidate: { baseUrl: 'http://127.0.0.1:9002/v1', model: 'llama-70b' },
    },
    approvals: { approvers: ['alice'] },
  };
}

/** A plan input with one part replaced (shallow per top-level key, as a person would edit it). */
function withPart(part: Record<string, unknown>): unknown {
  return { ...minimal(), ...part };
}

describe('parsePlan defaults', () => {
  it('fills in every documented default on a minimal plan', () => {
    // Protects the README's table of defaults: changing one changes every plan that omits it.
    const plan = parsePlan(minimal());
    expect(plan.apiVersion).toBe('llm-rollout/v1');
    expect(plan.router).toEqual({ kind: 'gateway', adminUrl: 'http://127.0.0.1:8480' });
    expect(plan.prometheus).toEqual({ url: 'http://127.0.0.1:9490' });
    expect(plan.backends.baseline.pricing).toEqual({ inputPer1k: 0, outputPer1k: 0 });
    expect(plan.backends.candidate.apiKeyEnv).toBeUndefined();
    expect(plan.stages.shadow).toEqual({ enabled: true, share: 0.5, window: 600_000 });
    expect(plan.stages.goldenEval).toEqual({
      enabled: false,
      minPassRate: 0.9,
      maxRegression: 0.02,
      concurrency: 8,
      requestTimeout: 60_000,
    });
    expect(plan.stages.canary).toEqual({
      steps: [
        { weight: 5, window: 900_000, requireApproval: false },
        { weight: 25, window: 900_000, requireApproval: false },
        { weight: 50, window: 1_800_000, requireApproval: false },
      ],
      checkInterval: 60_000,
      // On by default on the gateway, which keeps the live answers.
      behavioral: {
        enabled: true,
        bake: true,
        phrasing: { enabled: true, tolerance: 0.1, blocking: true },
        minAnswers: 20,
        judgeCallsPerCheck: 10,
      },
    });
    expect(plan.stages.cutover).toEqual({ bake: 1_800_000, retireBaseline: true, revertWindow: 86_400_000 });
    expect(plan.approvals).toEqual({
      requiredBefore: ['canary', 'cutover'],
      approvers: ['alice'],
      timeout: 14_400_000,
      onTimeout: 'abort',
      allowSelfApproval: false,
      required: 1,
    });
    expect(plan.guardrails.errorRate).toEqual({
      enabled: true,
      direction: 'higher_is_worse',
      tolerance: 0.01,
      critical: true,
    });
    expect(plan.guardrails.p99Latency).toEqual({
      enabled: true,
      direction: 'higher_is_worse',
      tolerance: 0.25,
      critical: true,
    });
    expect(plan.guardrails.costPerRequest).toEqual({
      enabled: true,
      direction: 'higher_is_worse',
      tolerance: 0.5,
      critical: false,
    });
    expect(plan.guardrails.refusalRate).toEqual({
      enabled: true,
      direction: 'higher_is_worse',
      tolerance: 0.02,
      critical: true,
    });
    expect(plan.guardrails.schemaAdherence).toEqual({
      enabled: true,
      direction: 'lower_is_worse',
      tolerance: 0.02,
      critical: true,
    });
    expect(plan.guardrails.length).toEqual({ enabled: true, direction: 'either', tolerance: 0.3, critical: false });
    expect(plan.guardrails.judgeScore).toEqual({
      enabled: true,
      direction: 'lower_is_worse',
      tolerance: 0.25,
      critical: true,
    });
    expect(plan.guardrails.minRequests).toBe(50);
    expect(plan.guardrails.maxMetricFailures).toBe(3);
    expect(plan.guardrails.onInconclusive).toBe('extend_then_ask');
    expect(plan.notifications).toEqual({});
  });

  it('normalizes durations to milliseconds and strips trailing slashes from URLs', () => {
    const plan = parsePlan(
      withPart({
        backends: {
          baseline: { baseUrl: 'http://127.0.0.1:9001/v1/', model: 'a' },
          candidate: { baseUrl: 'https://llm.example.com/v1//', model: 'b' },
        },
        stages: {
          shadow: { window: '1h30m' },
          canary: { steps: [{ weight: 10, window: '90s' }], checkInterval: 5_000 },
        },
      }),
    );
    expect(plan.backends.baseline.baseUrl).toBe('http://127.0.0.1:9001/v1');
    expect(plan.backends.candidate.baseUrl).toBe('https://llm.example.com/v1');
    expect(plan.stages.shadow.window).toBe(5_400_000);
    expect(plan.stages.canary.steps).toEqual([{ weight: 10, window: 90_000, requireApproval: false }]);
    expect(plan.stages.canary.checkInterval).toBe(5_000);
  });

  it('is the identity on a normalized plan', () => {
    // Protects the workflow's own validation: it re-parses the plan the CLI already parsed,
    // and must not change a single field (or history would depend on who started the rollout).
    for (const input of [
      minimal(),
      withPart({
        stages: {
          goldenEval: { enabled: true, dataset: '/data/g.jsonl' },
          canary: { steps: [{ weight: 20, window: '2m', requireApproval: true }] },
        },
      }),
    ]) {
      const once = parsePlan(input);
      const twice = parsePlan(JSON.parse(JSON.stringify(once)));
      expect(twice).toEqual(once);
    }
  });

  it('needs no approvers when nothing asks a human', () => {
    const plan = parsePlan(withPart({ approvals: { requiredBefore: [] }, guardrails: { onInconclusive: 'rollback' } }));
    expect(plan.approvals.approvers).toEqual([]);
  });
});

describe('parsePlan errors name the field', () => {
  it('rejects a rollout id that is not a slug', () => {
    expect(problemsOf(withPart({ rollout: { id: 'Support Bot' } }))).toEqual([
      'rollout.id: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, at most 63 characters',
    ]);
    expect(problemsOf(withPart({ rollout: { id: `a${'b'.repeat(63)}` } }))).toHaveLength(1);
  });

  it('rejects a baseUrl that is not http(s)', () => {
    const bad = (baseUrl: string) =>
      withPart({ backends: { ...minimal().backends, baseline: { baseUrl, model: 'a' } } });
    expect(problemsOf(bad('ftp://127.0.0.1/v1'))).toEqual(['backends.baseline.baseUrl: expected an http(s) URL']);
    expect(problemsOf(bad('127.0.0.1:9001/v1'))).toEqual(['backends.baseline.baseUrl: expected an http(s) URL']);
    // Protects against half-URLs passing because the start looks right.
    expect(problemsOf(bad('http://'))).toEqual(['backends.baseline.baseUrl: expected an http(s) URL']);
    expect(problemsOf(bad('http://10.0.0.1:8000/v1 # prod'))).toEqual([
      'backends.baseline.baseUrl: expected an http(s) URL',
    ]);
  });

  it('reports a missing candidate as required', () => {
    expect(problemsOf(withPart({ backends: { baseline: minimal().backends.baseline } }))).toEqual([
      'backends.candidate: required',
    ]);
  });

  it('reports a value of the wrong type as such, not as missing', () => {
    // Protects the "required" shortcut: it must only fire when the field is really absent.
    const problems = problemsOf(
      withPart({
        backends: { ...minimal().backends, candidate: { baseUrl: 'http://b/v1', model: 7 } },
        stages: { shadow: { enabled: 'yes' } },
      }),
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^backends\.candidate\.model: .*expected string, received number/);
    expect(problems[1]).toMatch(/^stages\.shadow\.enabled: .*expected boolean, received string/);
  });

  it('rejects unknown fields at the top level and nested, naming them', () => {
    expect(problemsOf(withPart({ rolout: { id: 'x' } }))).toEqual(['rolout: unknown field']);
    expect(problemsOf(withPart({ stages: { canary: { steps: [{ weight: 5, window: '1m', wieght: 6 }] } } }))).toEqual([
      'stages.canary.steps[0].wieght: unknown field',
    ]);
    expect(problemsOf(withPart({ guardrails: { errorRate: { tolerence: 0.1 } } }))).toEqual([
      'guardrails.errorRate.tolerence: unknown field',
    ]);
  });

  it('rejects canary weights of 0, 100, fractions, and weights that do not increase', () => {
    const steps = (...weights: number[]) =>
      withPart({ stages: { canary: { steps: weights.map((weight) => ({ weight, window: '1m' })) } } });
    expect(problemsOf(steps(0))).toEqual(['stages.canary.steps[0].weight: weight must be 1–99']);
    expect(problemsOf(steps(100))).toEqual(['stages.canary.steps[0].weight: weight must be 1–99 (100 is the cutover)']);
    expect(problemsOf(steps(2.5))).toEqual(['stages.canary.steps[0].weight: weight must be a whole percent']);
    expect(problemsOf(steps(10, 50, 20))).toEqual([
      'stages.canary.steps[2].weight: canary weights must increase (step 2 has 20 after 50)',
    ]);
    expect(problemsOf(steps(10, 10))).toEqual([
      'stages.canary.steps[1].weight: canary weights must increase (step 1 has 10 after 10)',
    ]);
    expect(problemsOf(withPart({ stages: { canary: { steps: [] } } }))).toEqual([
      'stages.canary.steps: at least one canary step (or a stages.canary.cohort to expose instead)',
    ]);
  });

  it('rejects durations it cannot read, quoting them', () => {
    expect(problemsOf(withPart({ stages: { shadow: { window: '5x' } } }))).toEqual([
      'stages.shadow.window: expected a duration like "30s", "15m", "1h30m" or milliseconds, got "5x"',
    ]);
    expect(problemsOf(withPart({ approvals: { approvers: ['alice'], timeout: -5 } }))).toEqual([
      'approvals.timeout: expected a duration like "30s", "15m", "1h30m" or milliseconds, got -5',
    ]);
  });

  it('rejects a check interval under a second', () => {
    // Protects Prometheus and the workflow history: every check is an activity, and an interval of
    // 0 would judge the canary in a tight loop for the whole window.
    expect(
      problemsOf(withPart({ stages: { canary: { steps: [{ weight: 5, window: '1m' }], checkInterval: 0 } } })),
    ).toEqual(['stages.canary.checkInterval: must be at least 1s']);
    expect(
      parsePlan(withPart({ stages: { canary: { steps: [{ weight: 5, window: '1m' }], checkInterval: '1s' } } })).stages
        .canary.checkInterval,
    ).toBe(1_000);
  });

  it('rejects shares outside 0..1', () => {
    expect(problemsOf(withPart({ stages: { shadow: { share: 1.5 } } }))).toEqual([
      'stages.shadow.share: must be between 0 and 1',
    ]);
    expect(problemsOf(withPart({ stages: { goldenEval: { minPassRate: -0.1 } } }))).toEqual([
      'stages.goldenEval.minPassRate: must be between 0 and 1',
    ]);
  });

  it('requires approvers when a gate, a step approval or the inconclusive policy needs a human', () => {
    const message = 'approvals.approvers: at least one approver is required when the plan has approval gates';
    expect(problemsOf(withPart({ approvals: {} }))).toEqual([message]);
    expect(problemsOf(withPart({ approvals: { requiredBefore: [] }, guardrails: { onInconclusive: 'ask' } }))).toEqual([
      message,
    ]);
    expect(
      problemsOf(
        withPart({
          approvals: { requiredBefore: [] },
          guardrails: { onInconclusive: 'rollback' },
          stages: { canary: { steps: [{ weight: 5, window: '1m', requireApproval: true }] } },
        }),
      ),
    ).toEqual([message]);
  });

  it('takes approvals.required as a whole number of distinct approvers it can reach, the requester never among them', () => {
    expect(parsePlan(withPart({ approvals: { approvers: ['alice', 'bob'], required: 2 } })).approvals.required).toBe(2);
    // A group may hold any number of people.
    expect(parsePlan(withPart({ approvals: { approvers: ['group:S0OWNERS'], required: 3 } })).approvals.required).toBe(
      3,
    );
    expect(problemsOf(withPart({ approvals: { approvers: ['alice', 'bob', 'alice'], required: 3 } }))).toEqual([
      'approvals.required: 3 distinct approvals are required but only 2 approvers are named',
    ]);
    expect(
      problemsOf(withPart({ approvals: { approvers: ['alice', 'bob'], required: 2, allowSelfApproval: true } })),
    ).toEqual([
      'approvals.allowSelfApproval: the requester never counts toward 2 approvals: remove allowSelfApproval or set approvals.required to 1',
    ]);
    expect(problemsOf(withPart({ approvals: { approvers: ['alice'], required: 0 } }))).toHaveLength(1);
    expect(problemsOf(withPart({ approvals: { approvers: ['alice'], required: 1.5 } }))).toHaveLength(1);
    expect(problemsOf(withPart({ approvals: { approvers: ['alice'], required: '2' } }))[0]).toMatch(
      /^approvals\.required: /,
    );
  });

  it('requires a dataset when the golden eval is enabled', () => {
    expect(problemsOf(withPart({ stages: { goldenEval: { enabled: true } } }))).toEqual([
      'stages.goldenEval.dataset: a dataset path is required when the golden eval is enabled',
    ]);
  });

  it('refuses a shadow stage on the HAProxy router', () => {
    const router = HAPROXY_ROUTER;
    expect(problemsOf(withPart({ router }))).toEqual([
      'stages.shadow.enabled: HAProxy cannot mirror traffic: set stages.shadow.enabled to false, or use the gateway router',
    ]);
    expect(parsePlan(withPart({ router, stages: { shadow: { enabled: false } } })).router).toEqual(router);
  });

  it('takes the same backend and model with another configuration bundle (a prompt rollout), on the gateway only', () => {
    const { baseline } = minimal().backends;
    const candidate = { ...baseline, config: { systemPrompt: 'You are support v2.', sampling: { temperature: 0.2 } } };
    const plan = parsePlan(withPart({ backends: { baseline, candidate } }));
    expect(plan.backends.candidate.config).toEqual({
      systemPrompt: 'You are support v2.',
      systemPromptMode: 'prepend',
      sampling: { temperature: 0.2 },
    });
    expect(problemsOf(withPart({ backends: { baseline: candidate, candidate } }))).toEqual([
      'backends.candidate: candidate is the same backend, model and configuration as the baseline',
    ]);
    const router = {
      kind: 'haproxy',
      statsSocket: '/run/haproxy.sock',
      haproxyBackend: 'llm',
      baselineServer: 'a',
      candidateServer: 'b',
    };
    expect(
      problemsOf(withPart({ backends: { baseline, candidate }, router, stages: { shadow: { enabled: false } } })),
    ).toContain(
      'backends.candidate.config: a configuration bundle is applied by the gateway, which rewrites each request; haproxy routes requests as they are: use router.kind gateway, or serve the configuration from the backend itself',
    );
    expect(
      problemsOf(
        withPart({ backends: { baseline, candidate: { ...baseline, config: { systemPromptFile: 'p.txt' } } } }),
      ),
    ).toEqual([
      'backends.candidate.config.systemPromptFile: systemPromptFile is read when a plan file is loaded (`rollout start`, `rollout plan check`); a plan started another way must carry systemPrompt inline',
    ]);
  });

  it('takes a fallback on the gateway router, refusing the candidate itself, attempts outside 1–3 and other routers', () => {
    const fallback = { baseUrl: 'http://127.0.0.1:9001/v1', model: 'llama-8b' };
    const plan = parsePlan(withPart({ router: { kind: 'gateway', fallback } }));
    expect(plan.router).toMatchObject({ fallback: { ...fallback, maxAttempts: 1 } });
    expect(problemsOf(withPart({ router: { kind: 'gateway', fallback: { ...fallback, maxAttempts: 4 } } }))).toEqual([
      'router.fallback.maxAttempts: must be 1–3',
    ]);
    expect(
      problemsOf(
        withPart({
          router: { kind: 'gateway', fallback: { baseUrl: 'http://127.0.0.1:9002/v1', model: 'llama-70b' } },
        }),
      ),
    ).toEqual([
      "router.fallback: the fallback is the candidate itself: a retry there would meet the candidate's own failure; name another backend (the baseline, a spare pool)",
    ]);
    const haproxy = HAPROXY_ROUTER;
    expect(problemsOf(withPart({ router: { ...haproxy, fallback }, stages: { shadow: { enabled: false } } }))).toEqual([
      expect.stringMatching(/^router: unknown field "fallback"|^router\.fallback: /),
    ]);
  });

  it('refuses a candidate that is the baseline, even written with a trailing slash', () => {
    const message =
      'backends.candidate: candidate is the same backend and model as the baseline (a prompt or settings rollout gives either side a config)';
    const { baseline } = minimal().backends;
    expect(problemsOf(withPart({ backends: { baseline, candidate: { ...baseline } } }))).toEqual([message]);
    expect(
      problemsOf(withPart({ backends: { baseline, candidate: { ...baseline, baseUrl: `${baseline.baseUrl}/` } } })),
    ).toEqual([message]);
    // Same server, other model: a legitimate candidate.
    expect(
      parsePlan(withPart({ backends: { baseline, candidate: { ...baseline, model: 'llama-70b' } } })).backends.candidate
        .model,
    ).toBe('llama-70b');
  });

  it('reports several problems at once, field checks and cross-field rules together', () => {
    const problems = problemsOf({
      rollout: { id: 'Bad Id' },
      backends: {
        baseline: { baseUrl: 'ftp://a', model: 'a' },
        candidate: { baseUrl: 'http://b/v1', model: 'b' },
      },
      stages: {
        shadow: { share: 2 },
        canary: {
          steps: [
            { weight: 50, window: '1m' },
            { weight: 20, window: '1m' },
          ],
        },
      },
      approvals: { approvers: ['alice'] },
      surprise: true,
    });
    expect(problems).toEqual([
      'rollout.id: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, at most 63 characters',
      'backends.baseline.baseUrl: expected an http(s) URL',
      'stages.shadow.share: must be between 0 and 1',
      'surprise: unknown field',
      'stages.canary.steps[1].weight: canary weights must increase (step 1 has 20 after 50)',
    ]);
  });

  it('still reports every field problem when one value cannot be read at all', () => {
    // A wrong type or an unreadable duration stops zod before the cross-field rules (they would
    // read garbage), but every field-level problem is still listed.
    const problems = problemsOf({
      rollout: { id: 'Bad Id' },
      backends: { baseline: { baseUrl: 'ftp://a', model: 'a' }, candidate: { baseUrl: 'http://b/v1', model: 'b' } },
      approvals: { approvers: ['alice'], timeout: 'soon', onTimeout: 'shrug' },
    });
    expect(problems).toEqual([
      'rollout.id: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, at most 63 characters',
      'backends.baseline.baseUrl: expected an http(s) URL',
      'approvals.timeout: expected a duration like "30s", "15m", "1h30m" or milliseconds, got "soon"',
      'approvals.onTimeout: Invalid option: expected one of "abort"|"approve"',
    ]);
  });

  it('puts every problem in the error message, one per line', () => {
    const error = (() => {
      try {
        parsePlan(withPart({ rollout: { id: 'X' }, extra: 1 }));
      } catch (caught) {
        return caught as PlanValidationError;
      }
      throw new Error('accepted');
    })();
    expect(error.name).toBe('PlanValidationError');
    expect(error.message).toBe(
      'invalid rollout plan:\n  - rollout.id: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, at most 63 characters\n  - extra: unknown field',
    );
  });

  it('rejects something that is not a plan object at all', () => {
    expect(problemsOf(null)).toEqual([expect.stringMatching(/^\(plan\): .*expected object/)]);
    expect(problemsOf('rollout: x')).toEqual([expect.stringMatching(/^\(plan\): .*expected object/)]);
  });
});

describe('loadPlanFile', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plan-load-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  /** The PlanValidationError loadPlanFile rejects with. */
  async function loadError(path: string): Promise<PlanValidationError> {
    const error: unknown = await loadPlanFile(path).then(
      () => new Error('expected loadPlanFile to reject'),
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PlanValidationError);
    return error as PlanValidationError;
  }

  it('reads YAML and resolves a relative dataset against the plan file folder', async () => {
    const path = await write(
      'plan.yaml',
      [
        'rollout: { id: yaml-plan }',
        'backends:',
        '  baseline: { baseUrl: "http://127.0.0.1:9001/v1", model: a }',
        '  candidate: { baseUrl: "http://127.0.0.1:9002/v1", model: b }',
        'stages:',
        '  goldenEval: { enabled: true, dataset: golden/items.jsonl }',
        '  canary: { steps: [{ weight: 10, window: 2m }] }',
        'approvals: { approvers: [alice] }',
        '',
      ].join('\n'),
    );
    const plan = await loadPlanFile(path);
    expect(plan.rollout.id).toBe('yaml-plan');
    expect(plan.stages.canary.steps).toEqual([{ weight: 10, window: 120_000, requireApproval: false }]);
    expect(plan.stages.goldenEval.dataset).toBe(join(dir, 'golden/items.jsonl'));
  });

  it('resolves the dataset to an absolute path even when the plan path is relative', async () => {
    await write(
      'rel.json',
      JSON.stringify({ ...minimal(), stages: { goldenEval: { enabled: true, dataset: 'g.jsonl' } } }),
    );
    const relativePath = join('.', dir.slice(process.cwd().length + 1), 'rel.json');
    const plan = await loadPlanFile(dir.startsWith(process.cwd()) ? relativePath : join(dir, 'rel.json'));
    expect(isAbsolute(plan.stages.goldenEval.dataset!)).toBe(true);
    expect(plan.stages.goldenEval.dataset).toBe(join(dir, 'g.jsonl'));
  });

  it('reads JSON and keeps an absolute dataset path as it is', async () => {
    const path = await write(
      'plan.json',
      JSON.stringify({ ...minimal(), stages: { goldenEval: { enabled: true, dataset: '/srv/golden.jsonl' } } }),
    );
    const plan = await loadPlanFile(path);
    expect(plan.rollout.id).toBe('support-bot-v2');
    expect(plan.stages.goldenEval.dataset).toBe('/srv/golden.jsonl');
  });

  it('reports a file it cannot read, with the path', async () => {
    const missing = join(dir, 'nope.yaml');
    const error = await loadError(missing);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(
      new RegExp(`^cannot read plan file ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`),
    );
  });

  // Root reads any file, so there is nothing to check there: skipped, not vacuously passed.
  it.skipIf(process.getuid?.() === 0)('reports a file without read permission, with the path', async () => {
    const path = await write('locked.yaml', 'rollout: { id: x }\n');
    await chmod(path, 0o000);
    const error = await loadError(path);
    expect(error.problems[0]).toContain(`cannot read plan file ${path}: EACCES`);
  });

  it('reports invalid YAML and invalid JSON with the path', async () => {
    const yamlPath = await write('broken.yaml', 'rollout: { id: x\nbackends: [\n');
    expect((await loadError(yamlPath)).problems[0]).toMatch(
      new RegExp(`^${yamlPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid YAML: `),
    );
    const jsonPath = await write('broken.json', '{"rollout": ');
    expect((await loadError(jsonPath)).problems[0]).toMatch(
      new RegExp(`^${jsonPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON: `),
    );
  });

  it('reports an invalid plan in a valid file with the field paths', async () => {
    const path = await write(
      'bad-plan.yaml',
      'rollout: { id: ok }\nbackends:\n  baseline: { baseUrl: "http://a/v1", model: a }\napprovals: { approvers: [alice] }\n',
    );
    expect((await loadError(path)).problems).toEqual(['backends.candidate: required']);
  });

  it('parses every example plan shipped in examples/', async () => {
    // Protects the docs: an example that no longer parses is the first thing a new user hits.
    const files = (await readdir(EXAMPLES)).filter((name) => /\.(ya?ml|json)$/.test(name)).sort();
    expect(files).toEqual([
      'gateway-api.yaml',
      'haproxy.yaml',
      'istio.yaml',
      'minimal.json',
      'quickstart.yaml',
      'support-bot-cohort.yaml',
      'support-bot-experiment.yaml',
      'support-bot-pools.yaml',
      'support-bot-prompt.yaml',
      'support-bot-replay.yaml',
      'support-bot.yaml',
    ]);
    for (const name of files) {
      const plan = await loadPlanFile(join(EXAMPLES, name));
      expect(plan.rollout.id, name).toMatch(/^[a-z0-9]/);
    }
    const supportBot = await loadPlanFile(join(EXAMPLES, 'support-bot.yaml'));
    // Its dataset is relative to the plan and must point at the shipped golden file.
    expect(supportBot.stages.goldenEval.dataset).toBe(join(EXAMPLES, 'golden/support-bot.jsonl'));
    expect(supportBot.backends.candidate.apiKeyEnv).toBe('CANDIDATE_API_KEY');
    expect(supportBot.approvals).toMatchObject({ required: 2, approvers: ['alice', 'bob', 'dave'] });
    // Pools on both sides: the members' own keys, the side's key their default.
    const pools = await loadPlanFile(join(EXAMPLES, 'support-bot-pools.yaml'));
    expect(pools.backends.candidate.pool?.map((member) => [member.name, member.weight])).toEqual([
      ['us-east', 3],
      ['eu-west', 1],
    ]);
    expect(pools.backends.baseline.pool?.[1]?.apiKeyEnv).toBe('EU_BASELINE_API_KEY');
    // The replay's captured dataset is relative to the plan, and loads as golden items (with their params).
    const replayPlan = await loadPlanFile(join(EXAMPLES, 'support-bot-replay.yaml'));
    expect(replayPlan.stages.replay.dataset).toBe(join(EXAMPLES, 'captured/support-bot.jsonl'));
    const captured = await loadGoldenDataset(replayPlan.stages.replay.dataset!);
    expect(captured).toHaveLength(12);
    expect(captured[0]!.params).toEqual({ temperature: 0.2 });
    // The prompt rollout's candidate prompt is read from the file next to it, which it still names.
    const promptRollout = await loadPlanFile(join(EXAMPLES, 'support-bot-prompt.yaml'));
    const prompt = (await readFile(join(EXAMPLES, 'prompts/support-v2.txt'), 'utf8')).trimEnd();
    expect(promptRollout.backends.candidate.config).toMatchObject({
      systemPrompt: prompt,
      systemPromptFile: 'prompts/support-v2.txt',
      sampling: { temperature: 0.3, max_tokens: 400 },
    });
  });
});

// Last in the file: if defaults were shared, the edit below would leak into every later parse.
describe('parsePlan default isolation', () => {
  it('gives each parse its own default objects', () => {
    // Protects plans from each other: a default shared by reference (say, the canary steps) would
    // carry one plan's edit into every later plan parsed in the same process, such as a worker.
    const first: RolloutPlan = parsePlan(minimal());
    first.stages.canary.steps[0]!.weight = 40;
    first.stages.canary.steps.push({ weight: 60, window: 1, requireApproval: true });
    first.approvals.requiredBefore.push('retire');
    const second = parsePlan(minimal());
    expect(second.stages.canary.steps.map((step) => step.weight)).toEqual([5, 25, 50]);
    expect(second.approvals.requiredBefore).toEqual(['canary', 'cutover']);
  });
});

describe('the metrics block', () => {
  const router = {
    kind: 'haproxy',
    statsSocket: '/run/haproxy/admin.sock',
    haproxyBackend: 'llm',
    baselineServer: 'a',
    candidateServer: 'b',
  } as const;
  const haproxy = (metrics?: unknown) =>
    withPart({ router, stages: { shadow: { enabled: false } }, ...(metrics === undefined ? {} : { metrics }) });

  it('defaults to the gateway records on the gateway router', () => {
    const plan = parsePlan(minimal());
    expect(plan.metrics).toBeUndefined();
    expect(resolveMetrics(plan)).toEqual({ source: 'records' });
  });

  it('defaults a HAProxy plan to HAProxy series per server and vLLM latency per model, and parses idempotently', () => {
    const plan = parsePlan(haproxy());
    expect(resolveMetrics(plan)).toEqual({
      source: 'prometheus',
      selection: {
        traffic: {
          dialect: 'haproxy',
          baseline: { proxy: 'llm', server: 'a' },
          candidate: { proxy: 'llm', server: 'b' },
        },
        latency: { dialect: 'vllm', baseline: { model_name: 'llama-8b' }, candidate: { model_name: 'llama-70b' } },
        referenceLookbackMs: 600_000,
      },
    });
    expect(parsePlan(plan)).toEqual(plan);
  });

  it('takes label overrides and a lookback, and the gateway series for a gateway plan that asks for Prometheus', () => {
    const plan = parsePlan(
      haproxy({ latency: 'vllm', candidate: { latency: { model_name: 'served-70b' } }, referenceLookback: '30m' }),
    );
    const resolved = resolveMetrics(plan);
    expect(resolved.source === 'prometheus' && resolved.selection.latency.candidate).toEqual({
      model_name: 'served-70b',
    });
    expect(resolved.source === 'prometheus' && resolved.selection.referenceLookbackMs).toBe(1_800_000);
    const gateway = resolveMetrics(parsePlan(withPart({ metrics: { source: 'prometheus' } })));
    expect(gateway.source === 'prometheus' && gateway.selection.traffic).toEqual({
      dialect: 'gateway',
      baseline: { route: 'support-bot-v2', backend: 'baseline' },
      candidate: { route: 'support-bot-v2', backend: 'candidate' },
    });
  });

  it('refuses what the series cannot give, with the reason', () => {
    expect(problemsOf(haproxy({ latency: 'haproxy' }))).toEqual([
      "metrics.latency: HAProxy's exporter has no latency histograms (only averages, which cannot give a tail): set metrics.latency to vllm (the model servers' own series) or none",
    ]);
    expect(problemsOf(haproxy({ traffic: 'vllm' }))[0]).toMatch(
      /^metrics\.traffic: vLLM exports no failed-request counter .*: take requests and errors from the traffic layer/,
    );
    expect(problemsOf(haproxy({ source: 'records' }))).toEqual([
      'metrics.source: router haproxy keeps no per-request records: use metrics.source: prometheus',
    ]);
    expect(problemsOf(withPart({ metrics: { traffic: 'haproxy' } }))).toEqual([
      'metrics.traffic: only read with metrics.source: prometheus',
    ]);
  });

  it('needs labels where the plan cannot name the arms, and refuses arms that select the same series', () => {
    expect(problemsOf(haproxy({ traffic: 'istio', latency: 'istio' }))).toEqual([
      'metrics.baseline.traffic: the istio series need labels naming the baseline (e.g. destination_version)',
      'metrics.candidate.traffic: the istio series need labels naming the candidate (e.g. destination_version)',
      'metrics.baseline.latency: the istio series need labels naming the baseline (e.g. destination_version)',
      'metrics.candidate.latency: the istio series need labels naming the candidate (e.g. destination_version)',
    ]);
    const v = (version: string) => ({
      traffic: { destination_version: version },
      latency: { destination_version: version },
    });
    expect(() =>
      parsePlan(haproxy({ traffic: 'istio', latency: 'istio', baseline: v('v1'), candidate: v('v2') })),
    ).not.toThrow();
    expect(problemsOf(haproxy({ candidate: { traffic: { server: 'a' } } }))).toEqual([
      'metrics.candidate.traffic: baseline and candidate select the same haproxy series',
    ]);
    expect(problemsOf(haproxy({ baseline: { traffic: { 'bad-label': 'x' } } }))).toEqual([
      'metrics.baseline.traffic.bad-label: "bad-label" is not a Prometheus label name',
    ]);
  });
});
