// Deterministic embeddings for the simulated backends: feature hashing of words and character
// trigrams into a fixed number of dimensions, normalised to unit length. Equal text gives an
// equal vector for a given seed, and texts sharing words/trigrams get similar vectors, which is
// enough for anything downstream that compares embeddings. Not a real embedding model.
import { hashString, mulberry32 } from '../lib/seeded-random';

export const EMBEDDING_DIMENSIONS = 64;

export function embedText(text: string, seed: number, dimensions = EMBEDDING_DIMENSIONS): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const normalised = text.toLowerCase();
  const features = [...(normalised.match(/[\p{L}\p{N}]+/gu) ?? [])];
  const squashed = ` ${normalised.replace(/\s+/g, ' ').trim()} `;
  for (let i = 0; i + 3 <= squashed.length; i++) features.push(`#${squashed.slice(i, i + 3)}`);
  for (const feature of features) {
    const h = hashString(feature, seed);
    // Low bits choose the dimension, one high bit the sign (keeps the expected dot product of
    // unrelated texts near zero).
    vector[h % dimensions]! += h & 0x80000000 ? -1 : 1;
  }
  let norm = Math.hypot(...vector);
  if (norm === 0) {
    // Empty or whitespace-only input: a fixed pseudo-random direction instead of a zero vector.
    const next = mulberry32(hashString(`empty|${text}`, seed));
    for (let i = 0; i < dimensions; i++) vector[i] = next() - 0.5;
    norm = Math.hypot(...vector);
  }
  return vector.map((v) => v / norm);
}
