'use strict';
// Child process of bench.js: loads MNIST once and writes the benchmark's rows to data.bin, so that
// neither the parent nor the processes it measures hold the whole set (a forked child starts with
// its parent's peak RSS on Linux).
// Usage (from bench.js): node data.js '{"dir", "skip", "count"}'; sends the rows' labels.
const path = require('node:path');

const { mnist } = require('../../dist');
const c = require('./common');

async function main() {
  const { dir, skip, count } = JSON.parse(process.argv[2]);
  const data = await mnist();
  if (skip + count > data.rows) throw new Error(`--skip ${skip} leaves fewer than ${count} of MNIST's ${data.rows} rows`);
  const rows = data.range(skip, skip + count);
  c.writeTensors(path.join(dir, 'data.bin'), { x: rows.x.slice(), y: rows.y(), labels: rows.labels.slice() });
  process.send({ labels: Array.from(rows.labels) });
}

main().catch((error) => {
  process.stderr.write(`${error.message ?? error}\n`);
  process.exit(1);
});
