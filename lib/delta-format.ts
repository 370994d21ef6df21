// How a difference between candidate and baseline becomes text, for every verdict message and
// report: relative changes as percent, differences of rates as percentage points, other
// differences as plain numbers. Each caller picks a format (the judges' messages and the eval
// reports keep their own digits and sign style), the arithmetic and the spelling live here.

export interface DeltaFormat {
  /** 'percent': 100·x with '%'; 'points': 100·x with ' pts'; 'plain': x as it is. */
  unit: 'percent' | 'points' | 'plain';
  /** Digits after the point, or significant digits when `significant` is set. */
  digits: number;
  significant?: boolean;
  /**
   * 'plus': '+' before zero and positive values, '-' from the number itself;
   * 'typographic': '+', '−' (U+2212) or '±' (zero) before the magnitude; 'none': the number as is.
   */
  sign: 'plus' | 'typographic' | 'none';
}

export function deltaText(x: number, format: DeltaFormat): string {
  if (format.sign === 'typographic') return `${x > 0 ? '+' : x < 0 ? '−' : '±'}${unsigned(Math.abs(x), format)}`;
  return `${format.sign === 'plus' && x >= 0 ? '+' : ''}${unsigned(x, format)}`;
}

function unsigned(x: number, format: DeltaFormat): string {
  const scaled = format.unit === 'plain' ? x : x * 100;
  const digits = format.significant ? scaled.toPrecision(format.digits) : scaled.toFixed(format.digits);
  return format.unit === 'percent' ? `${digits}%` : format.unit === 'points' ? `${digits} pts` : digits;
}
