import { describe, it, expect } from 'vitest';
import { DEFAULT_BEHAVIOUR, mergeBehaviour } from '../../simulator/behaviour';
import { FieldValidationError } from '../../simulator/zod-errors';

function fieldOf(patch: unknown): string {
  try {
    mergeBehaviour({ ...DEFAULT_BEHAVIOUR }, patch);
  } catch (error) {
    expect(error).toBeInstanceOf(FieldValidationError);
    return (error as FieldValidationError).field;
  }
  throw new Error('expected the patch to be rejected');
}

describe('mergeBehaviour', () => {
  it('applies a partial update and keeps every other field', () => {
    const merged = mergeBehaviour({ ...DEFAULT_BEHAVIOUR }, { errorRate: 0.25, latencySigma: 0 });
    expect(merged).toEqual({ ...DEFAULT_BEHAVIOUR, errorRate: 0.25, latencySigma: 0 });
  });

  it('does not mutate the current behaviour', () => {
    const current = { ...DEFAULT_BEHAVIOUR };
    mergeBehaviour(current, { seed: 99 });
    expect(current).toEqual(DEFAULT_BEHAVIOUR);
  });

  it('rejects bad values naming the field', () => {
    expect(fieldOf({ errorRate: 1.5 })).toBe('errorRate');
    expect(fieldOf({ refusalRate: -0.1 })).toBe('refusalRate');
    expect(fieldOf({ brokenJsonRate: '0.2' })).toBe('brokenJsonRate');
    expect(fieldOf({ maxConcurrency: 0 })).toBe('maxConcurrency');
    expect(fieldOf({ maxConcurrency: 2.5 })).toBe('maxConcurrency');
    expect(fieldOf({ meanCompletionTokens: 0 })).toBe('meanCompletionTokens');
    expect(fieldOf({ latencyMedianMs: -1 })).toBe('latencyMedianMs');
    expect(fieldOf({ seed: -1 })).toBe('seed');
    expect(fieldOf({ latencyMs: 100 })).toBe('latencyMs');
    expect(fieldOf('fast')).toBe('behaviour');
    expect(fieldOf({ fault: 'explode' })).toBe('fault');
  });

  it('takes a first-token share in 0..1, 0.25 by default', () => {
    expect(DEFAULT_BEHAVIOUR.firstTokenShare).toBe(0.25);
    expect(mergeBehaviour({ ...DEFAULT_BEHAVIOUR }, { firstTokenShare: 0 }).firstTokenShare).toBe(0);
    expect(mergeBehaviour({ ...DEFAULT_BEHAVIOUR }, { firstTokenShare: 1 }).firstTokenShare).toBe(1);
    expect(fieldOf({ firstTokenShare: 1.2 })).toBe('firstTokenShare');
    expect(fieldOf({ firstTokenShare: -0.1 })).toBe('firstTokenShare');
    expect(fieldOf({ firstTokenShare: '0.5' })).toBe('firstTokenShare');
    expect(() => mergeBehaviour({ ...DEFAULT_BEHAVIOUR }, { firstTokenShare: 2 })).toThrow(
      'firstTokenShare: must be <= 1',
    );
  });
});
