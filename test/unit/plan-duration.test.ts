// Plan durations: what people write ("90s", "1h30m") and what the workflow's timers get (ms).
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDurationMs } from '../../plan/duration';

describe('parseDurationMs', () => {
  it('reads every unit and compound forms into milliseconds', () => {
    // Protects the unit table: a wrong factor silently stretches or shrinks every window.
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('15m')).toBe(900_000);
    expect(parseDurationMs('4h')).toBe(14_400_000);
    expect(parseDurationMs('2d')).toBe(172_800_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('1m30s500ms')).toBe(90_500);
    expect(parseDurationMs('1.5h')).toBe(5_400_000);
    expect(parseDurationMs('  15m  ')).toBe(900_000);
  });

  it('takes "ms" as milliseconds, not minutes followed by seconds', () => {
    // Protects the alternation order (ms before m): "5ms" must never become 5 minutes.
    expect(parseDurationMs('5ms')).toBe(5);
    expect(parseDurationMs('5m5s')).toBe(305_000);
  });

  it('accepts plain milliseconds as a number or a digit string, rounding fractions', () => {
    expect(parseDurationMs(1_500)).toBe(1_500);
    expect(parseDurationMs('1500')).toBe(1_500);
    expect(parseDurationMs(1_500.6)).toBe(1_501);
    expect(parseDurationMs(0)).toBe(0);
  });

  it('rejects anything it cannot read completely, instead of reading a prefix', () => {
    // Protects against "1h 30m" or "15min" quietly becoming 1h or 15m.
    for (const bad of ['5x', '', '   ', 'm', '15min', '1h 30m', '1h30', '-5m', '1H', '1.5.5m', '1e3', 'ten minutes']) {
      expect(parseDurationMs(bad), JSON.stringify(bad)).toBeNull();
    }
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(parseDurationMs(bad), String(bad)).toBeNull();
    }
  });

  it('gives the same answer on repeated calls (the sticky regex is reset)', () => {
    // Protects the shared /y regex: a stale lastIndex after a failed parse would break the next one.
    expect(parseDurationMs('1h30')).toBeNull();
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
  });
});

describe('formatDuration', () => {
  it('uses the largest whole unit', () => {
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(5_400_000)).toBe('90m');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1_500)).toBe('1500ms');
    expect(formatDuration(0)).toBe('0s');
  });

  it('round-trips through parseDurationMs', () => {
    // Protects `plan check` output: what it prints must read back as the same duration.
    for (const ms of [0, 1, 999, 1_000, 61_000, 900_000, 5_400_000, 86_400_000, 90_061_001]) {
      expect(parseDurationMs(formatDuration(ms))).toBe(ms);
    }
  });
});
