/**
 * Lifetime under load: models created and dropped by the thousand leave memory flat; the garbage
 * collector knows what a model holds; async calls and child processes coexist. (Concurrency on one
 * model and across worker threads: test/async.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const fixtures = path.join(__dirname, 'fixtures');
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

interface Memory {
  baseline: number;
  final: number;
  peak: number;
  stateBytes: number;
}

/** Runs fixtures/many-models.js in a fresh process with --expose-gc. */
function manyModels(count: number, gcEvery: number): Memory {
  const child = spawnSync(process.execPath, ['--expose-gc', path.join(fixtures, 'many-models.js'), String(count), String(gcEvery)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (child.status !== 0) throw new Error(`many-models.js failed (status ${child.status}, signal ${child.signal}):\n${child.stderr}`);
  return JSON.parse(child.stdout) as Memory;
}

test('10,000 models created and dropped, half disposed and half left to the GC, leave memory flat', () => {
  const started = Date.now();
  const m = manyModels(10_000, 100);
  const growth = m.final - m.baseline;
  console.log(
    `10,000 models of ${mib(m.stateBytes)} native state: RSS ${mib(m.baseline)} before, ${mib(m.final)} after ` +
      `(growth ${mib(growth)} = ${(growth / m.stateBytes).toFixed(1)} models' state), peak ${mib(m.peak)}, ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  // A leak of 1 model in 1,000 would be 10 models' state (15 MB); allocator and V8 noise is a few MB.
  expect(growth).toBeLessThan(10 * m.stateBytes);
  // Between collections at most ~100 models are alive: the peak stays near the baseline too.
  expect(m.peak - m.baseline).toBeLessThan(150 * m.stateBytes);
}, 150_000);

// A model's native state (here 1.4 MB; 70 MB for MNIST-sized layers) is reported to V8 as external
// memory (AdjustExternalMemory, async_queue.hpp), so models that are merely dropped are collected
// as that memory grows. Without it, V8 saw only small wrappers: 800 models of which 400 were left
// to the GC grew the RSS by ~0.35 GB, 10,000 by ~4 GB, until a forced or incidental full GC.
test('models left to the GC are collected without forced collections', () => {
  const m = manyModels(800, 0);
  console.log(`800 models, no forced GC: RSS ${mib(m.baseline)} before, peak ${mib(m.peak)}`);
  expect(m.peak - m.baseline).toBeLessThan(200 * 2 ** 20);
}, 150_000);

// Forking while BLAS runs on another thread (RELIABILITY.md). OpenBLAS 0.3.21's pthreads build
// shuts its thread pool down in a fork handler (blas_thread_shutdown_, run by pthread_atfork in
// every fork()), under a BLAS call another thread is making with it: a Node program that spawned
// child processes (child_process.spawn/exec) while async calls ran BLAS on libuv threads hung
// within a second (8 of 8 runs), fork() blocked in pthread_join or the async call never settling.
// The package's own fork handler (native/backend/cpu/blas.cpp) now waits for the BLAS calls in
// flight before OpenBLAS's runs, holds new ones back across the fork, and re-creates the pool in
// the parent before they resume.
test('spawning child processes while async calls run neither hangs nor loses a call', () => {
  const child = spawnSync(process.execPath, [path.join(fixtures, 'fork-during-async.js'), '2'], {
    encoding: 'utf8',
    // 2 s of work; without the handler it hung within the first second (8 runs of 8 here).
    timeout: 10_000,
    killSignal: 'SIGKILL',
    // BLAS uses threads from 2 on: force them, whatever the machine's core count.
    env: { ...process.env, INDEEPENDENCE_THREADS: '2' },
  });
  expect(child.stderr).toBe('');
  expect(child.stdout).toMatch(/^done: \d+ spawns, \d+ learns/);
  expect(child.status).toBe(0);
}, 20_000);
