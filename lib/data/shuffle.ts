/**
 * Seeded permutations that are the same on every platform and every Node version: SplitMix64 in
 * BigInt arithmetic (no floating point, no Math.random) driving a Fisher–Yates shuffle.
 */

const MASK = (1n << 64n) - 1n;

/**
 * A SplitMix64 generator (Steele, Lea & Flood 2014, as in Vigna's reference `splitmix64.c`) whose
 * state starts at `seed` mod 2^64 (negative seeds wrap). Returns the next 64-bit output per call;
 * for seed 0 the first output is 0xe220a8397b1dcdaf.
 */
export function splitMix64(seed: number): () => bigint {
  let state = BigInt.asUintN(64, BigInt(seed));
  return () => {
    state = (state + 0x9e3779b97f4a7c15n) & MASK;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
    return z ^ (z >> 31n);
  };
}

/**
 * A permutation of 0..n-1: Fisher–Yates from the last position down, swapping position i with
 * j = floor(r·(i+1) / 2^64), r the generator's next output. That map from r to j is exact integer
 * arithmetic; its bias is below (i+1)/2^64, far under anything measurable.
 * @param seed a safe integer.
 */
export function permutation(n: number, seed: number): Int32Array {
  const next = splitMix64(seed);
  const order = new Int32Array(n);
  for (let i = 0; i < n; ++i) order[i] = i;
  for (let i = n - 1; i > 0; --i) {
    const j = Number((next() * BigInt(i + 1)) >> 64n);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
