import { describe, expect, it } from 'vitest';
import { deltaText } from '../../lib/delta-format';

describe('delta text', () => {
  it('shows relative changes as percent and rate differences as points', () => {
    expect(deltaText(0.123, { unit: 'percent', digits: 1, sign: 'plus' })).toBe('+12.3%');
    expect(deltaText(-0.004, { unit: 'points', digits: 2, sign: 'plus' })).toBe('-0.40 pts');
    expect(deltaText(0.3, { unit: 'percent', digits: 0, sign: 'none' })).toBe('30%');
  });

  it('shows other differences as they are, to fixed or significant digits', () => {
    expect(deltaText(15, { unit: 'plain', digits: 3, significant: true, sign: 'plus' })).toBe('+15.0');
    expect(deltaText(-0.9224, { unit: 'plain', digits: 3, significant: true, sign: 'plus' })).toBe('-0.922');
    expect(deltaText(1.005, { unit: 'plain', digits: 2, sign: 'none' })).toBe('1.00');
  });

  it('puts the typographic sign before the magnitude, ± on zero', () => {
    expect(deltaText(-1, { unit: 'points', digits: 1, sign: 'typographic' })).toBe('−100.0 pts');
    expect(deltaText(0.15, { unit: 'points', digits: 1, sign: 'typographic' })).toBe('+15.0 pts');
    expect(deltaText(0, { unit: 'plain', digits: 2, sign: 'typographic' })).toBe('±0.00');
    expect(deltaText(0, { unit: 'percent', digits: 1, sign: 'plus' })).toBe('+0.0%');
  });
});
