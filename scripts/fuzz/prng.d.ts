/** mulberry32: a small deterministic uniform generator in [0, 1), for filling test data from a seed. */
export function prng(seed: number): () => number;
