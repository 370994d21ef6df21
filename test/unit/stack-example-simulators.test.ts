// Which example plans `rollout up --simulators` serves: only those whose two models are simulated.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { simulatedExamplePlans, startExampleSimulators } from '../../stack/example-simulators';

const examples = fileURLToPath(new URL('../../examples', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-example-sims-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function plan(id: string, baselineModel: string, candidateModel: string): string {
  return JSON.stringify({
    rollout: { id },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:9001/v1', model: baselineModel },
      candidate: { baseUrl: 'http://127.0.0.1:9002/v1', model: candidateModel },
    },
    router: { kind: 'gateway', adminUrl: 'http://127.0.0.1:8480', route: id },
    approvals: { approvers: ['alice'] },
  });
}

describe('the example plans served by simulators', () => {
  it('are the quick start among the shipped examples, on :9001 and :9002', async () => {
    const plans = await simulatedExamplePlans(examples);
    expect(plans.map((entry) => entry.file)).toEqual(['quickstart.yaml']);
    const { baseline, candidate } = plans[0]!.plan.backends;
    expect([baseline.baseUrl, baseline.model]).toEqual(['http://127.0.0.1:9001/v1', 'sim-llama-8b']);
    expect([candidate.baseUrl, candidate.model]).toEqual(['http://127.0.0.1:9002/v1', 'sim-llama-70b']);
  });

  it('leave out a plan with a real model on either side', async () => {
    writeFileSync(join(dir, 'a.json'), plan('a', 'sim-a', 'sim-b'));
    writeFileSync(join(dir, 'b.json'), plan('b', 'sim-a', 'llama-3.1-70b-instruct'));
    writeFileSync(join(dir, 'notes.txt'), 'not a plan');
    expect((await simulatedExamplePlans(dir)).map((entry) => entry.file)).toEqual(['a.json']);
  });

  it('refuse two plans that want different models on one address, before starting anything', async () => {
    const clash = mkdtempSync(join(tmpdir(), 'llm-rollout-example-sims-'));
    writeFileSync(join(clash, 'a.json'), plan('a', 'sim-a', 'sim-b'));
    writeFileSync(join(clash, 'c.json'), plan('c', 'sim-c', 'sim-b'));
    await expect(
      startExampleSimulators({
        examplesDir: clash,
        gatewayUrl: 'http://127.0.0.1:9',
        gatewayAdminUrl: 'http://127.0.0.1:9',
        gatewayAdminToken: 'x'.repeat(32),
      }),
    ).rejects.toThrow('c.json: port 9001 serves sim-a for a.json, not sim-c');
    rmSync(clash, { recursive: true, force: true });
  });
});
