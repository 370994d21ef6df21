// The random decisions for one request, drawn at arrival from the backend's seeded stream.
// Exactly DRAWS_PER_REQUEST numbers are consumed per request whatever the outcome, so request N
// sees the same draws for a given seed no matter what earlier requests asked for (chat or
// embeddings, JSON or not): a run is reproducible from the seed and the arrival order.
import type { Behaviour } from './behaviour';
import { logNormal, standardNormal } from '../lib/seeded-random';

export const DRAWS_PER_REQUEST = 6;
/** Keeps a heavy-tailed draw from stalling a test or demo for minutes. */
export const MAX_SIMULATED_LATENCY_MS = 120_000;

export interface RequestDraws {
  latencyMs: number;
  /** 500 or 503 when this request fails, else null. */
  failureStatus: 500 | 503 | null;
  refuse: boolean;
  breakJson: boolean;
}

export function drawRequest(next: () => number, behaviour: Behaviour): RequestDraws {
  const u = Array.from({ length: DRAWS_PER_REQUEST }, next) as [number, number, number, number, number, number];
  const z = standardNormal(u[0], u[1]);
  const latencyMs = Math.min(MAX_SIMULATED_LATENCY_MS, logNormal(behaviour.latencyMedianMs, behaviour.latencySigma, z));
  return {
    latencyMs,
    failureStatus: u[2] < behaviour.errorRate ? (u[5] < 0.5 ? 500 : 503) : null,
    refuse: u[3] < behaviour.refusalRate,
    breakJson: u[4] < behaviour.brokenJsonRate,
  };
}
