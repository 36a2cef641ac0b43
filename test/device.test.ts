// The device option (issue 8): 'cpu' always works; 'cuda' either works (a GPU with cuBLAS and the
// plugin) or fails with ERR_INDEE_DEVICE_UNAVAILABLE naming what is missing, and never disturbs CPU
// models. Checkpoints record no device. Where a GPU exists, a CUDA model matches a CPU model.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Autoencoder } from '../lib';

// Deterministic rows in [-1, 1).
function randomRows(rows: number, width: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: rows * width }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (2 * state) / 2147483648 - 1;
  });
}

const options = { inputSize: 6, labelSize: 2, layers: [5, 3], statistics: 'cumulative' as const, seed: 3 };

function tryCuda(): Autoencoder | Error {
  try {
    return new Autoencoder({ ...options, device: 'cuda' });
  } catch (error) {
    return error as Error;
  }
}

const cuda = tryCuda();
const hasGpu = cuda instanceof Autoencoder;
if (!hasGpu) console.warn(`skipped (CUDA parity): ${(cuda as Error).message.split('\n')[0]}`);
afterAll(() => {
  if (cuda instanceof Autoencoder) cuda.dispose();
});

test('a CPU model says where it runs', () => {
  expect(new Autoencoder(options).deviceName).toBe('cpu');
});

test("'cuda' works or fails with ERR_INDEE_DEVICE_UNAVAILABLE saying why, and CPU models are untouched", () => {
  if (hasGpu) {
    expect(cuda.deviceName).toMatch(/^cuda \(.+\)$/);
  } else {
    // By name: errors made by the addon belong to Node's main realm, not to jest's sandbox.
    expect((cuda as Error).name).toBe('Error');
    expect((cuda as NodeJS.ErrnoException).code).toBe('ERR_INDEE_DEVICE_UNAVAILABLE');
    expect(cuda.message).toMatch(/^device 'cuda' is not available: .*(plugin|driver|device|cuBLAS)/is);
  }
  const model = new Autoencoder(options);
  model.collect(randomRows(10, 6, 1), randomRows(10, 2, 2));
  expect(model.learn({ steps: 3 }).every(Number.isFinite)).toBe(true);
});

test('checkpoints record no device and load on the device asked for', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'indee-device-'));
  try {
    const model = new Autoencoder(options);
    model.collect(randomRows(10, 6, 3), randomRows(10, 2, 4));
    const file = path.join(folder, 'model.safetensors');
    await model.save(file);
    expect(fs.readFileSync(file).toString('latin1')).not.toMatch(/device/);
    const loaded = await Autoencoder.load(file, { device: 'cpu' });
    expect(loaded.config.device).toBe('cpu');
    expect(loaded.toBuffer()).toEqual(model.toBuffer());
    await expect(Autoencoder.load(file, { device: 'gpu' as never })).rejects.toThrow(/options\.device must be one of 'cpu', 'cuda'; got 'gpu'/);
    await expect(Autoencoder.load(file, { place: 'cpu' } as never)).rejects.toThrow(RangeError);
    if (!hasGpu) expect(() => Autoencoder.fromBuffer(model.toBuffer(), { device: 'cuda' })).toThrow(expect.objectContaining({ code: 'ERR_INDEE_DEVICE_UNAVAILABLE' }));
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

// The two backends sum in different orders (cuBLAS's blocking, tree reductions), so results agree
// to float32 rounding grown over the steps, not bit for bit: 1e-3 relative on values of order 1.
(hasGpu ? test : test.skip)('a CUDA model learns and infers what the same CPU model does', () => {
  const gpu = cuda as Autoencoder;
  const cpu = new Autoencoder(options);
  const x = randomRows(40, 6, 5), y = randomRows(40, 2, 6);
  for (const model of [cpu, gpu]) {
    model.collect(x, y);
    model.learn({ steps: 20 });
  }
  const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    const scale = Math.max(1, ...Array.from(a, Math.abs));
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-3 * scale);
  };
  close(gpu.objectives(), cpu.objectives());
  close(gpu.layer(0).W, cpu.layer(0).W);
  close(gpu.infer(x, { steps: 10 }).scores, cpu.infer(x, { steps: 10 }).scores);
});
