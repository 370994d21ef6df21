import { describe, expect, it } from 'vitest';
import { summarize } from '../../judge/statistics/summary';
import { welchTTest } from '../../judge/statistics/welch';

// Student's sleep data (R datasets::sleep): extra hours of sleep, group 1 and group 2.
const group1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const group2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

describe('Welch t test', () => {
  it('reproduces R t.test(extra ~ group, data = sleep) (R documentation example)', () => {
    // Welch Two Sample t-test: t = -1.8608, df = 17.776, p-value = 0.07939,
    // 95 percent confidence interval: -3.3654832  0.2054832; means 0.75 and 2.33.
    const r = welchTTest(group1, group2);
    expect(r.estimate).toBeCloseTo(0.75 - 2.33, 12);
    expect(r.t).toBeCloseTo(-1.8608, 4);
    expect(r.df).toBeCloseTo(17.776, 3);
    expect(r.pValue).toBeCloseTo(0.07939, 5);
    expect(r.lower).toBeCloseTo(-3.3654832, 7);
    expect(r.upper).toBeCloseTo(0.2054832, 7);
  });

  it('accepts summaries and one-sided alternatives', () => {
    const fromSummaries = welchTTest(summarize(group1), summarize(group2));
    expect(fromSummaries.t).toBeCloseTo(welchTTest(group1, group2).t, 14);
    const less = welchTTest(group1, group2, { alternative: 'less' });
    expect(less.pValue).toBeCloseTo(0.07939 / 2, 5);
    expect(less.lower).toBe(Number.NEGATIVE_INFINITY);
    const greater = welchTTest(group1, group2, { alternative: 'greater' });
    expect(greater.pValue).toBeCloseTo(1 - 0.07939 / 2, 5);
  });
});
