// The demo's plans: real plan files in every respect, with windows short enough to watch.
import type { GatePoint, RolloutPlanInput } from '../plan/schema';

interface Backend {
  url: string;
  model: string;
}

export interface DemoPlanOptions {
  id: string;
  route: string;
  baseline: Backend;
  candidate: Backend;
  stack: { gatewayAdminUrl: string; prometheusUrl: string; uiUrl: string };
  gates: GatePoint[];
  goldenDataset?: string;
  /** An OpenAI-compatible judge for the golden eval's rubric (and its embeddings). */
  judge?: Backend;
}

export function demoPlan(options: DemoPlanOptions): RolloutPlanInput {
  return {
    rollout: { id: options.id, name: `${options.route}: ${options.candidate.model}`, requestedBy: 'demo-release-bot' },
    backends: {
      baseline: {
        baseUrl: options.baseline.url,
        model: options.baseline.model,
        pricing: { inputPer1k: 0.0002, outputPer1k: 0.0006 },
      },
      candidate: {
        baseUrl: options.candidate.url,
        model: options.candidate.model,
        pricing: { inputPer1k: 0.0002, outputPer1k: 0.0006 },
      },
    },
    router: { kind: 'gateway', adminUrl: options.stack.gatewayAdminUrl, route: options.route },
    prometheus: { url: options.stack.prometheusUrl },
    stages: {
      shadow: { enabled: true, share: 0.5, window: '15s' },
      goldenEval: options.goldenDataset
        ? {
            enabled: true,
            dataset: options.goldenDataset,
            concurrency: 8,
            minPassRate: 0.9,
            ...(options.judge
              ? {
                  judge: { baseUrl: options.judge.url, model: options.judge.model, concurrency: 8 },
                  embeddings: { baseUrl: options.judge.url, model: options.judge.model, concurrency: 8 },
                }
              : {}),
          }
        : { enabled: false },
      canary: {
        checkInterval: '5s',
        steps: [
          { weight: 10, window: '15s' },
          { weight: 25, window: '15s' },
          { weight: 50, window: '15s' },
        ],
      },
      cutover: { bake: '10s' },
    },
    approvals: { requiredBefore: options.gates, approvers: ['alice', 'bob'], timeout: '10m' },
    // Short windows see few requests: the minimum sample is sized for them. The statistical judge
    // keeps its false-alarm rate at alpha however small the window.
    guardrails: { minRequests: 20 },
    notifications: { temporalUiUrl: options.stack.uiUrl },
  };
}
