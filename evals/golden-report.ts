// The golden eval's report rows: each item's two answers and what is worse on the candidate, with
// a badness score that puts the most telling items first.
import type { ReportRow } from './eval-report';
import type { ItemPair } from './golden-behavioral-verdict';

const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

export function lastUserMessage(messages: Array<{ role: string; content: string }>): string {
  return [...messages].reverse().find((m) => m.role === 'user')?.content ?? messages[messages.length - 1]?.content ?? '';
}

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
    const judge = judgement?.judge;
    if (judge?.status === 'scored') {
      const drop = mean(Object.values(judge.baseline)) - mean(Object.values(judge.candidate));
      if (drop > 0) {
        const worse = Object.keys(judge.baseline).filter((k) => (judge.candidate[k] ?? 0) < (judge.baseline[k] ?? 0));
        findings.push(`judge lower on ${worse.join(', ')}`);
        badness += drop;
      }
    }
    const similarity = judgement?.similarity;
    if (similarity?.status === 'scored' && minSimilarity !== null && similarity.similarity < minSimilarity) {
      findings.push(`similarity ${similarity.similarity.toFixed(2)}`);
      badness += 1 - similarity.similarity;
    }
    return {
      key: item.id,
      prompt: lastUserMessage(item.messages),
      baseline: b ? (b.status === 'error' ? `(no answer: ${b.failures.join('; ')})` : (b.excerpt ?? '')) : '(not run)',
      candidate: c ? (c.status === 'error' ? `(no answer: ${c.failures.join('; ')})` : (c.excerpt ?? '')) : '(not run)',
      ...(judge ? { judge: judge.status === 'scored' ? { baseline: judge.baseline, candidate: judge.candidate, order: judge.order } : { noScore: judge.reason } } : {}),
      ...(similarity ? { similarity: similarity.status === 'scored' ? similarity.similarity : { noScore: similarity.reason } } : {}),
      findings,
      badness: Math.round(badness * 1000) / 1000,
    };
  });
}
