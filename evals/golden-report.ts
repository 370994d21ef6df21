// The golden eval's report rows: each item's two answers and what is worse on the candidate, with
// a badness score that puts the most telling items first.
import { judgementFindings, lastUserMessage, type ReportRow } from './eval-report';
import type { ItemPair } from './golden-behavioral-verdict';

export function goldenReportRows(pairs: ItemPair[], minSimilarity: number | null): ReportRow[] {
  return pairs.map(({ item, baseline: b, candidate: c, judgement }) => {
    const findings: string[] = [];
    let badness = 0;
    if (c?.status === 'error' && b?.status !== 'error') {
      findings.push('no answer');
      badness += 3;
    }
    const bs = b?.scores;
    const cs = c?.scores;
    if (bs && cs) {
      if (bs.match === true && cs.match === false) {
        findings.push('expected output not matched');
        badness += 2;
      }
      if (bs.schemaValid === true && cs.schemaValid === false) {
        findings.push(`schema invalid (${c!.failures.join('; ')})`);
        badness += 2;
      }
      if (cs.refusal && !bs.refusal) {
        findings.push('refused');
        badness += 2;
      }
      if (cs.hedged && !bs.hedged) {
        findings.push('hedged');
        badness += 1;
      }
      if (bs.length > 0 && cs.length / bs.length < 0.7) {
        findings.push(`length ×${(cs.length / bs.length).toFixed(2)}`);
        badness += (0.7 - cs.length / bs.length) * 3;
      }
    }
    const judged = judgementFindings(judgement, minSimilarity);
    findings.push(...judged.findings);
    badness += judged.badness;
    return {
      key: item.id,
      prompt: lastUserMessage(item.messages),
      baseline: b ? (b.status === 'error' ? `(no answer: ${b.failures.join('; ')})` : (b.excerpt ?? '')) : '(not run)',
      candidate: c ? (c.status === 'error' ? `(no answer: ${c.failures.join('; ')})` : (c.excerpt ?? '')) : '(not run)',
      ...judged.fields,
      findings,
      badness: Math.round(badness * 1000) / 1000,
      ...(item.tags.length > 0 && { segments: item.tags }),
    };
  });
}
