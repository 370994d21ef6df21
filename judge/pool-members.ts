// A pooled side's members, each shown on its own: the judge compares the two sides as wholes (the
// route's weights split traffic between them), and a member that fails or slows inside a healthy
// pool is still visible in the verdict's notes. Evidence only: the members are not tested apart,
// so looking at many of them spends no α.
import { quantileSorted } from 'simple-statistics';
import type { RequestRecord } from '../lib/request-record';
import type { ArmSelector } from './traffic-window';

export interface MemberFigures {
  member: string;
  requests: number;
  errors: number;
  p99LatencyMs: number | null;
}

/** Per member of the arm's pool, in the window; empty when the arm is not a pool. */
export function poolMembers(records: readonly RequestRecord[], arm: ArmSelector, startMs: number): MemberFigures[] {
  const byMember = new Map<string, { requests: number; errors: number; latencies: number[] }>();
  for (const record of records) {
    if (record.member === undefined || record.backend !== arm.backend || record.mode !== arm.mode) continue;
    if (record.status === 499 || Date.parse(record.at) < startMs) continue;
    const figures = byMember.get(record.member) ?? { requests: 0, errors: 0, latencies: [] };
    figures.requests += 1;
    if (record.status >= 500) figures.errors += 1;
    else figures.latencies.push(record.latencyMs);
    byMember.set(record.member, figures);
  }
  return [...byMember]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([member, { requests, errors, latencies }]) => ({
      member,
      requests,
      errors,
      p99LatencyMs:
        latencies.length > 0
          ? quantileSorted(
              [...latencies].sort((x, y) => x - y),
              0.99,
            )
          : null,
    }));
}

/** One note line per pooled side: each member's requests, error share and p99 latency. */
export function poolNote(side: string, members: MemberFigures[]): string | null {
  if (members.length === 0) return null;
  const parts = members.map(
    (m) =>
      `${m.member} ${m.requests} request${m.requests === 1 ? '' : 's'}, ${((100 * m.errors) / m.requests).toFixed(1)} % errors, p99 ${m.p99LatencyMs === null ? '—' : `${Math.round(m.p99LatencyMs)} ms`}`,
  );
  return `${side} pool, each member (shown, not judged apart): ${parts.join('; ')}`;
}
