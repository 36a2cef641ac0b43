'use strict';
const { Worker } = require('node:worker_threads');
const exercise = require('./exercise.cjs');

(async () => {
  await exercise(require('indeependence'), 'CommonJS require');
  await new Promise((resolve, reject) => {
    const worker = new Worker(`require('./exercise.cjs')(require('indeependence'), 'worker thread')`, { eval: true });
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
  });
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
