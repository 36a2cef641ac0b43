/**
 * Replayed upper statistics (upperStatistics 'replay' and 'moments', issue 9): what the upper
 * layers hold, checkpoints, all-or-nothing learning, and that old tasks are kept.
 */
import { Autoencoder, mnist, oneHot, type AutoencoderOptions, type UpperStatistics } from '../lib';
import { encodeCheckpoint } from '../lib/checkpoint';
import * as ref from './reference';

const REPLAYING: UpperStatistics[] = ['replay', 'moments'];

function options(upperStatistics: UpperStatistics, extra: Partial<AutoencoderOptions> = {}): AutoencoderOptions {
  return { inputSize: 12, labelSize: 3, layers: [8, 6, 4], statistics: 'cumulative', solver: 'eig', upperStatistics, replaySamples: 64, seed: 3, ...extra };
}
function labels(rows: number, shift: number): Float32Array {
  return oneHot(Array.from({ length: rows }, (_, r) => (r + shift) % 3), 3);
}
function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

test('the options are checked and default to the original (collected)', () => {
  const model = new Autoencoder({ inputSize: 4, labelSize: 2, layers: [3, 2] });
  expect(model.config.upperStatistics).toBe('collected');
  expect(model.config.replaySamples).toBe(1000);
  expect(() => new Autoencoder(options('sampled' as never))).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/options\.upperStatistics/) }));
  expect(() => new Autoencoder(options('replay', { replaySamples: 0 }))).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/options\.replaySamples/) }));
  expect(() => new Autoencoder(options('replay', { replaySamples: 2.5 }))).toThrow(RangeError);
});

describe.each(REPLAYING)("upperStatistics '%s'", (upper) => {
  test('upper layers collect nothing; a learn derives their statistics, with b = B and the first layer\'s N', () => {
    const model = new Autoencoder(options(upper));
    model.collect(ref.randomArray(40 * 12, 1, 0, 1), labels(40, 0));
    expect(model.layer(0).N).toBe(40);
    for (const l of [1, 2]) expect(model.layer(l).N).toBe(0);
    model.learn();
    for (const l of [1, 2]) {
      const s = model.layer(l);
      expect(s.N).toBe(40);
      expect(bytes(s.b).equals(bytes(s.B))).toBe(true);
      // C is a covariance: positive diagonal where the codes vary.
      const d = s.B.length;
      expect(Array.from({ length: d }, (_, i) => s.C[i * d + i]).some((v) => v > 0)).toBe(true);
    }
  });

  test('a checkpoint holds the class moments and the model continues bit for bit', () => {
    const model = new Autoencoder(options(upper));
    model.collect(ref.randomArray(30 * 12, 2, 0, 1), labels(30, 0).map((v, i) => (Math.floor(i / 3) % 3 === 2 ? 0 : v))); // class 2 unseen
    model.learn();
    const buffer = model.toBuffer();
    const header = JSON.parse(buffer.subarray(8, 8 + Number(buffer.readBigUInt64LE(0))).toString());
    // Classes 0 and 1 and the unlabelled class (the rows whose label was zeroed) have moments; class 2 none.
    expect(Object.keys(header).filter((k) => k.startsWith('replay.')).sort()).toEqual(
      ['replay.0.covariance', 'replay.0.mean', 'replay.1.covariance', 'replay.1.mean', 'replay.3.covariance', 'replay.3.mean', 'replay.weight'],
    );
    const restored = Autoencoder.fromBuffer(buffer);
    const x = ref.randomArray(20 * 12, 3, 0, 1), y = labels(20, 1);
    for (const m of [model, restored]) {
      m.collect(x, y);
      m.learn();
    }
    expect(restored.toBuffer().equals(model.toBuffer())).toBe(true);
    expect(bytes(restored.encode(x)).equals(bytes(model.encode(x)))).toBe(true);
  });

  test('a checkpoint whose seen class lacks its moments is refused by the native check', () => {
    const model = new Autoencoder(options(upper));
    model.collect(ref.randomArray(10 * 12, 4, 0, 1), labels(10, 0));
    // A self-consistent file (valid checksum) that claims class 0 has rows but stores no moments for it.
    const withClasses = encodeCheckpoint(model.config, {
      layers: [0, 1, 2].map((l) => model.layer(l)),
      classes: { weight: new Float64Array([4, 3, 3, 0]), mean: [null, null, null, null], covariance: [null, null, null, null] },
    }, '0.0.0');
    expect(() => Autoencoder.fromBuffer(withClasses)).toThrow(
      expect.objectContaining({ code: 'ERR_INDEE_FORMAT', message: expect.stringMatching(/class 0: a class with weight > 0 needs a mean and a covariance/) }),
    );
  });

  test('a learn that diverges leaves every layer, statistics included, as it was', () => {
    const model = new Autoencoder(options(upper, { solver: 'adam', rate: 1e6 }));
    model.collect(ref.randomArray(30 * 12, 5, 0, 1), labels(30, 0));
    const before = model.toBuffer();
    expect(() => model.learn({ steps: 50 })).toThrow(expect.objectContaining({ code: 'ERR_INDEE_NUMERICAL' }));
    expect(model.toBuffer().equals(before)).toBe(true);
  });

  test('ema statistics and the subspace solver work too', () => {
    const model = new Autoencoder(options(upper, { statistics: 'ema', solver: 'subspace' }));
    model.collect(ref.randomArray(30 * 12, 6, 0, 1), labels(30, 0), { alpha: 0.1 });
    const values = model.learn({ steps: 3 });
    expect(Array.from(values).every(Number.isFinite)).toBe(true);
    expect(model.layer(1).N).toBe(30);
  });
});

test('collected upper statistics have no class moments', () => {
  const model = new Autoencoder(options('collected'));
  model.collect(ref.randomArray(10 * 12, 7, 0, 1), labels(10, 0));
  expect(model.layer(1).N).toBe(10);
  const buffer = model.toBuffer();
  expect(buffer.subarray(8, 8 + Number(buffer.readBigUInt64LE(0))).toString()).not.toMatch(/replay\./);
});

test('a deep stack keeps an old task with replayed or propagated upper statistics, and forgets it with collected ones', async () => {
  // Class-incremental: 1,000 rows of digits 0/1, then 1,000 of 2/3; learning every 100 rows. Measured
  // accuracy on 500 test rows of 0/1 afterwards: collected 0.862, replay 0.966, moments 0.980 — the
  // forgetting of issue 9 and its fix. Asserted: each replaying model at least 5 points above collected.
  const data = await mnist();
  const rowsOf = (from: number, to: number, digits: number[], n: number) => {
    const picked: number[] = [];
    for (let r = from; r < to && picked.length < n; ++r) if (digits.includes(data.labels![r])) picked.push(r);
    return data.take(picked);
  };
  const tasks = [rowsOf(0, 60000, [0, 1], 1000), rowsOf(0, 60000, [2, 3], 1000)];
  const old = rowsOf(60000, 70000, [0, 1], 500);
  const accuracy: Record<string, number> = {};
  for (const upper of ['collected', 'replay', 'moments'] as const) {
    const model = new Autoencoder({ inputSize: 784, labelSize: 10, layers: [100, 60, 40], statistics: 'cumulative', solver: 'eig', upperStatistics: upper, replaySamples: 300 });
    for (const task of tasks)
      for (let r = 0; r < task.rows; r += 100) {
        model.collect(task.x.subarray(r * 784, (r + 100) * 784), task.y!.subarray(r * 10, (r + 100) * 10));
        model.learn();
      }
    const predicted = model.infer(old.x, { steps: 0 }).labels;
    accuracy[upper] = predicted.reduce((n, p, i) => n + (p === old.labels![i] ? 1 : 0), 0) / old.rows;
    model.dispose();
  }
  expect(accuracy.replay).toBeGreaterThan(accuracy.collected + 0.05);
  expect(accuracy.moments).toBeGreaterThan(accuracy.collected + 0.05);
}, 120000);
