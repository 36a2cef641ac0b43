#!/usr/bin/env node
'use strict';
// `npm run bench`: this package beside the BLAS limit and beside TensorFlow.js (wasm), at the
// original program's shapes (794 joint inputs, layers [400, 250, 150]). Prints one table and writes
// it to BENCHMARKS.md, with the raw figures in scripts/bench/results.json.
//
// Three contestants, each timed on the same inputs:
// - this package: its synchronous API, in a child process (package.js);
// - the BLAS limit: the dominant products of each operation (those of native/bench/bench.cpp) timed
//   through the same OpenBLAS by the addon's timeBlas helper (native/binding/blas_timing.cpp), in
//   that same child;
// - the peer: TensorFlow.js with its WebAssembly backend implementing the same math, in a second
//   child process (peer.js), after checking that it computes what this package computes. Its
//   threaded SIMD build by default (started in Node by wasm-threads.js; the single-threaded SIMD
//   build if that fails, or with --wasm-threads 0).
// The fast solvers' rows (solver 'eig' / 'subspace', and the online protocol on the fast schedule)
// are this package's alone: they have neither a BLAS limit nor a peer.
// Each child reports its own peak RSS; a third (data.js) loads MNIST and writes the rows used.
const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { Command, InvalidArgumentError, Option } = require('commander');
const c = require('./common');

const root = path.resolve(__dirname, '../..');

function integer(min) {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return n;
  };
}
function positive(value) {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}
const GROUPS = [...new Set(c.OPS.map((op) => op.group))];
function opList(value) {
  const ids = new Set();
  for (const name of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const matched = c.OPS.filter((op) => op.id === name || op.group === name);
    if (matched.length === 0)
      throw new InvalidArgumentError(`unknown operation '${name}' (groups: ${GROUPS.join(', ')}; operations: ${c.OPS.map((op) => op.id).join(', ')})`);
    matched.forEach((op) => ids.add(op.id));
  }
  return c.OPS.map((op) => op.id).filter((id) => ids.has(id));
}

const program = new Command()
  .name('npm run bench --')
  .description('Times this package, the BLAS limit and TensorFlow.js (wasm) on the original\'s shapes; writes BENCHMARKS.md.')
  .option('--rows <n>', 'rows of the online protocol (infer 100 steps, collect, learn 100 steps per row)', integer(1), 5)
  .option('--skip <n>', `first MNIST row used (the online rows, the 256-row batch and the fast solvers' ${c.FAST_ROWS} rows start there)`, integer(0), 20000)
  .option('--fast-blocks <n>', `blocks of ${c.FAST_BLOCK} rows of the fast online schedule (infer the block, collect it, one eig solve)`, integer(1), 4)
  .addOption(new Option('--ops <list>', `operations or groups, comma-separated (${GROUPS.join(', ')}, or ids such as learn-0, infer-256, learn-eig)`)
    .argParser(opList).default(c.OPS.map((op) => op.id), 'all'))
  .option('--budget <seconds>', 'time spent repeating each figure (at least 2–3 repeats each)', positive, 1.5)
  .option('--threads <n>', 'BLAS threads of this package (default: OpenBLAS\'s, one per core)', integer(1))
  .addOption(new Option('--wasm-threads <n>', 'threads of the peer\'s threaded SIMD wasm build, which tfjs does not start in Node by itself (scripts/bench/wasm-threads.js); 0: the single-threaded SIMD build tfjs picks in Node')
    .argParser(integer(0)).default(os.availableParallelism?.() ?? os.cpus().length, 'the number of cores'))
  .option('--no-peer', 'skip TensorFlow.js')
  .addOption(new Option('--markdown <path>', 'where to write the table').default(path.join(root, 'BENCHMARKS.md'), 'BENCHMARKS.md'))
  .addOption(new Option('--json <path>', 'where to write the raw figures').default(path.join(root, 'scripts/bench/results.json'), 'scripts/bench/results.json'))
  .option('--no-write', 'print only; write neither file')
  .showHelpAfterError();

// ---- children -----------------------------------------------------------------------------------

/**
 * Runs a child and resolves with the results it sends. With `readyWithin` (seconds), the child must
 * first send { ready: true } that soon, or it is stopped (a backend that hangs while starting).
 */
function runChild(script, options, { env = {}, readyWithin = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const child = childProcess.fork(path.join(__dirname, script), [JSON.stringify(options)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let message;
    let stalled = false;
    const timer = readyWithin
      ? setTimeout(() => {
          stalled = true;
          child.kill('SIGKILL');
        }, readyWithin * 1000)
      : null;
    child.on('message', (m) => {
      if (m && m.ready) clearTimeout(timer);
      else message = m;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (message) resolve(message);
      else if (stalled) reject(new Error(`${script} did not start within ${readyWithin} s`));
      else reject(new Error(`${script} ended (${signal ?? `exit code ${code}`}) without results`));
    });
  });
}

// ---- the machine --------------------------------------------------------------------------------

function machine(blasInfo, threads) {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) cpu = line.split(':')[1].trim();
  } catch {
    /* not Linux: os.cpus() it is */
  }
  return {
    cpu,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    openblas: blasInfo?.config ?? 'unknown',
    blasThreads: threads,
  };
}

// ---- formatting ---------------------------------------------------------------------------------

const ms = (s) => (s === undefined ? '—' : s * 1e3 >= 100 ? (s * 1e3).toFixed(0) : s * 1e3 >= 10 ? (s * 1e3).toFixed(1) : (s * 1e3).toFixed(2));
const gflops = (flops, s) => (s === undefined || flops === undefined ? '—' : (flops / s / 1e9).toFixed(1));
const percent = (limit, s) => (s === undefined || limit === undefined ? '—' : `${((limit / s) * 100).toFixed(0)}%`);
const times = (peer, s) => (peer === undefined || s === undefined ? '—' : `${(peer / s).toFixed(1)}×`);

const HEADER = ['operation', 'GFLOP', 'package ms', 'GFLOP/s', 'BLAS limit ms', 'GFLOP/s', 'package / limit', 'tfjs-wasm ms', 'GFLOP/s', 'tfjs / package', 'repeats (pkg/BLAS/tfjs)'];

// The markers of the fast solvers' empty cells, explained under the table.
const NO_PEER = '—¹';
const NO_LIMIT = '—²';
const FOOTNOTES = [
  `¹ Not run by the peer: TensorFlow.js has no symmetric eigensolver, so a tfjs user would have to run the faithful Adam schedule (the learn step and online protocol rows above).`,
  `² No BLAS limit: the fast solvers' cost is LAPACK- and QR-bound (tridiagonalisation and ssyevr, orthonormalisation, the small SVD of the Procrustes rotation), not a fixed set of BLAS-3 products; nor is there a nominal flop count for them.`,
];

function tableRows(results) {
  return c.OPS.filter((op) => results[op.id]).map((op) => {
    const r = results[op.id];
    const p = r.package?.seconds, b = r.blas?.seconds, t = r.peer?.seconds;
    const noLimit = op.blas === false, noPeer = op.peer === false;
    return [
      op.label,
      op.flops === undefined ? '—' : (op.flops / 1e9).toFixed(op.flops >= 1e10 ? 0 : 3),
      ms(p), gflops(op.flops, p),
      noLimit ? NO_LIMIT : ms(b), gflops(op.flops, b),
      percent(b, p),
      noPeer ? NO_PEER : ms(t), gflops(op.flops, t),
      times(t, p),
      [r.package?.repeats ?? '—', r.blas?.repeats ?? '—', r.peer?.repeats ?? '—'].join('/'),
    ];
  });
}

function textTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

/**
 * The active block in words: how many of each layer's d mirrored coordinates have C_ii > 0, read
 * from model.layer(l).C by package.js in each model it timed learning on. The objective, its gradient
 * and the fast solvers work on that a×a block; the BLAS limit and the flop count use the dense d×d
 * products.
 */
function activeCoordinatesLine(active) {
  if (!active?.length) return '';
  const counts = (layers) => layers.map((x) => `${x.active} of ${x.d}`).join(', ');
  return 'the objective, its gradient and the fast solvers work on the active block of C, the coordinates with C_ii > 0, and skip the rest (on MNIST: the negative half of every mirrored pair, pixels and labels being ≥ 0, and the pixels that are zero in every row collected). ' +
    `In this run, active coordinates per layer (layer 0 of ${active[0].layers[0].d}${active.some((a) => a.layers.length > 1) ? ', then layers 1 and 2 where counted' : ''}): ` +
    active.map(({ where, layers }) => `${counts(layers)} in ${where}`).join('; ') +
    '. Where a < d, learning (Adam steps and the fast solvers alike) does less work than the dense d×d products of the BLAS limit and the nominal flop count: learn of layer 0 and of the stack, and the online protocol (whose first rows leave many coordinates of every layer inactive), can beat that limit.';
}

// ---- main ---------------------------------------------------------------------------------------

async function main() {
  program.parse(process.argv);
  const o = program.opts();
  const command = process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
    : `node scripts/bench/bench.js ${process.argv.slice(2).join(' ')}`.trim();
  const started = new Date();
  const wall = c.now();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'indee-bench-'));
  try {
    // The rows, from --skip on, in order: the batch of 256, the online rows, the fast solvers' rows
    // and the fast online schedule's blocks.
    const fastRows = o.fastBlocks * c.FAST_BLOCK;
    const { labels: allLabels } = await runChild('data.js', { dir, skip: o.skip, count: Math.max(c.BATCH, o.rows, c.FAST_ROWS, fastRows) });
    const labels = allLabels.slice(0, o.rows);
    const childOptions = { dir, ops: o.ops, rows: o.rows, fastBlocks: o.fastBlocks, budget: o.budget, wasmThreads: o.wasmThreads };
    // The peer runs only the operations it has (not the fast solvers).
    const peerOps = o.ops.filter((id) => c.OPS.find((op) => op.id === id).peer !== false);

    const streams = [o.ops.includes('online') && `online ${o.rows} row(s)`, o.ops.includes('online-fast') && `fast online ${o.fastBlocks} block(s) of ${c.FAST_BLOCK}`].filter(Boolean);
    console.log(`indeependence benchmark: ${o.ops.join(', ')}; ${streams.length ? `${streams.join(', ')} from` : 'rows from'} MNIST row ${o.skip}`);
    console.log('this package and the BLAS limit:');
    const threadEnv = o.threads ? { OPENBLAS_NUM_THREADS: String(o.threads), INDEEPENDENCE_THREADS: String(o.threads) } : {};
    const ours = await runChild('package.js', childOptions, { env: threadEnv });
    let peer = null;
    let fallback = null;
    if (o.peer && peerOps.length > 0) {
      console.log('TensorFlow.js (wasm):');
      try {
        peer = await runChild('peer.js', { ...childOptions, ops: peerOps }, { readyWithin: 120 });
      } catch (error) {
        if (!o.wasmThreads) throw error;
        fallback = `the threaded build failed (${error.message}); the single-threaded SIMD build ran instead`;
        console.log(`  ${fallback}`);
        peer = await runChild('peer.js', { ...childOptions, ops: peerOps, wasmThreads: 0 }, { readyWithin: 120 });
      }
    }

    const results = {};
    for (const id of o.ops) results[id] = { ...ours.results[id], ...(peer ? { peer: peer.results[id]?.peer } : {}) };
    const info = machine(ours.blasInfo, ours.threads);
    const header = HEADER;
    const table = tableRows(results);

    // ---- the checks and the notes -------------------------------------------------------------
    const notes = [];
    let checkLines = [];
    if (peer) {
      const ch = peer.check;
      const exp = (x) => x.toExponential(1);
      checkLines = [
        ...ch.objective.map((r, l) => `layer ${l}: objective f = ${r.package.toPrecision(7)} (package) vs ${r.peer.toPrecision(7)} (tfjs): relative difference ${exp(r.relative)}; gradient max|Δ|/max|∇f| ${exp(r.gradient)}`),
        `collect (256 rows from zero, identical W): max|ΔC|/max|C| per layer ${ch.collect.map((r) => exp(r.C)).join(', ')}; max|ΔB|/max|B| ${ch.collect.map((r) => exp(r.B)).join(', ')}`,
        `learn, one TF1 Adam step from identical W and C: ‖ΔW₁‖/‖W₁ − W₀‖ (the difference between the two steps, relative to the step) per layer ${ch.learn.map(exp).join(', ')}`,
        `infer's completion loss and gradient (8 rows, identical W, b and codes): loss ${exp(ch.completion.loss)}, gradient ${exp(ch.completion.gradient)} (max|Δ|/max)`,
      ];
      const ok = ch.objective.every((r) => r.relative < 1e-4 && r.gradient < 1e-3) && ch.collect.every((r) => r.C < 1e-4 && r.B < 1e-4) &&
        ch.learn.every((r) => r < 1e-3) && ch.completion.loss < 1e-4 && ch.completion.gradient < 1e-3;
      if (!ok) process.exitCode = 1;
      checkLines.push(ok ? 'check passed: the peer computes the same objective, gradient, statistics, Adam step and completion within float32 tolerance (1e-4 relative on values, 1e-3 on gradients and steps)'
        : 'CHECK FAILED: the peer does not compute the same thing; its timings are not comparable');
      if (results.online && peer.results.online) {
        const a = ours.results.online.predictions, b = peer.results.online.predictions;
        notes.push(`Online protocol, rows ${o.skip}–${o.skip + o.rows - 1} in order (bootstrap: row ${o.skip} collected once with α 0.5, untimed), both from the same initial weights: ` +
          `true labels ${labels.join(',')}; package predicted ${a.join(',')}, tfjs ${b.join(',')}; objectives after the last row: package ${ours.results.online.objectives.map((f) => f.toPrecision(5)).join(', ')}, tfjs ${peer.results.online.objectives.map((f) => f.toPrecision(5)).join(', ')}.`);
      }
    }
    if (results['online-fast']) {
      const r = results['online-fast'];
      const fast = r.package.seconds;
      const counted = c.fastOnlineCountedFlops();
      const faithful = results.online?.package?.seconds;
      const faithfulFlops = c.OPS.find((op) => op.id === 'online').flops;
      notes.push(`Online protocol, fast schedule: rows ${o.skip}–${o.skip + r.rows - 1} in order (bootstrap: row ${o.skip} collected once with α 0.5, untimed), ${r.rows / r.block} block${r.rows === r.block ? '' : 's'} of ${r.block}, solver 'eig', statistics '${c.FAST_STATISTICS}': ` +
        `${ms(fast)} ms per row (the whole run's time ÷ its rows; per block ${r.package.blockSeconds.map((s) => (s * 1e3).toFixed(0)).join(', ')} ms); ` +
        `${r.wrong} of ${r.rows} predictions wrong (per block ${r.wrongPerBlock.join(', ')}). Its infer and collect alone are ${(counted / 1e9).toFixed(3)} GFLOP per row (${gflops(counted, fast)} GFLOP/s over the whole time; the eig solves, one per block, are not counted), ` +
        (faithful === undefined
          ? `against the faithful protocol's ${(faithfulFlops / 1e9).toFixed(0)} GFLOP per row (not timed in this run: add --ops online for the speed-up).`
          : `against the faithful protocol's ${(faithfulFlops / 1e9).toFixed(0)} GFLOP and ${ms(faithful)} ms per row: ${(faithful / fast).toFixed(0)}× faster (faithful s/row ÷ fast s/row).`));
    }
    const rss = `Peak RSS (process.resourceUsage().maxRSS): package + BLAS-limit process ${ours.peakRssMiB.toFixed(0)} MiB` +
      (peer ? `, tfjs process ${peer.peakRssMiB.toFixed(0)} MiB` : '') + ' (MNIST is loaded by a third process that writes the rows used to a file: neither holds the whole set).';
    const build = peer
      ? `tfjs ${peer.build.tfjs}, backend ${peer.build.backend}, ${peer.build.wasm}, ${peer.build.threads} thread(s)` +
        (peer.build.threads > 1
          ? ' (tfjs starts its threaded build only in browsers; scripts/bench/wasm-threads.js lets it run in Node; `--wasm-threads 0` runs the single-threaded SIMD build tfjs picks in Node)'
          : ' (the build tfjs picks in Node by itself, one thread)') +
        (fallback ? `; ${fallback}` : '')
      : o.peer ? 'not run (none of the operations asked for has a peer)' : 'not run (--no-peer)';
    const seconds = c.now() - wall;

    const footnotes = FOOTNOTES.filter((_, i) => table.some((row) => row.includes([NO_PEER, NO_LIMIT][i])));
    const activeLine = activeCoordinatesLine(ours.active);

    console.log(`\n${textTable(header, table)}\n`);
    for (const line of footnotes) console.log(line);
    if (activeLine) console.log(`Active block: ${activeLine}`);
    for (const line of checkLines) console.log(line);
    for (const line of notes) console.log(line);
    console.log(rss);
    console.log(`Peer: ${build}. Package: ${info.openblas}, ${info.blasThreads} BLAS thread(s).`);
    console.log(`Machine: ${info.cpu}, ${info.cores} cores, Node ${info.node}. Run took ${seconds.toFixed(0)} s.`);

    if (!o.write) return;
    const md = [
      '# Benchmarks',
      '',
      '<!-- Generated by `npm run bench` (scripts/bench/bench.js); edit the script, not this file. -->',
      '',
      `This package beside **the BLAS limit** (the dominant BLAS products of each operation alone, through the same OpenBLAS) and beside **TensorFlow.js** with its WebAssembly backend (the peer a Node user would pick; the same math), at the original program's shapes: input 794 (784 pixels + 10 labels), layers [400, 250, 150].`,
      '',
      `- Command: \`${command}\``,
      `- Date: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC; the run took ${seconds.toFixed(0)} s`,
      `- Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB; ${info.os}; Node ${info.node}`,
      `- This package: ${info.openblas}, ${info.blasThreads} BLAS thread(s); synchronous API`,
      `- Peer: ${build}`,
      '',
      markdownTable(header, table),
      '',
      ...(footnotes.length ? [footnotes.join('<br>\n'), ''] : []),
      'Times are medians over the repeats shown (after one warm-up call each; the fast online schedule: its whole time ÷ its rows, over the blocks shown); "package / limit" is the share of the BLAS limit\'s speed the package reaches, "tfjs / package" how many times longer the peer takes. Over 100% means the package met the limit within timing noise (this is a shared 2-core machine: figures move by 10–50% between runs when other work runs), or, for learn on MNIST statistics, that it works on the active block of C, smaller than the dense products of the limit (see below).',
      '',
      '## How the figures are made',
      '',
      '- **this package**: `collect(x, y, { alpha: 0.01 })` on the [400, 250, 150] stack (the moving average, row by row exact); `learn({ steps: 1 })` on single-layer models of each layer\'s shape (794→400, 400→250 and 250→150, `labelSize` 0) and on the stack; `infer(x, { steps: 100 })`; the online protocol as the original ran it, per row `infer` 100 steps, `collect` α 0.01, `learn` 100 steps. With one row, collect and infer run matrix-vector kernels (a one-pass rank-1 update of C\'s lower triangle, `sgemv`).',
      `- **the fast solvers** (package only): a [400, 250, 150] stack (\`solver: 'eig'\` or \`'subspace'\`, \`statistics: '${c.FAST_STATISTICS}'\`) that has collected the ${c.FAST_ROWS.toLocaleString('en')} MNIST rows from --skip on; \`learn()\` with \`'eig'\` is one solve per layer (LAPACK \`ssyevr\`, the top-k eigenvectors of C's active block), with \`'subspace'\` \`learn({ steps: 1 })\` one orthogonal iteration and a Rayleigh–Ritz rotation; both then rotate the new basis onto the previous W (Procrustes: a k×k SVD). Repeats start from the previous call's W, which costs the same. **Online protocol, fast schedule**: what \`indeependence train --block ${c.FAST_BLOCK} --learn-every ${c.FAST_BLOCK} --solver eig --statistics ${c.FAST_STATISTICS}\` runs, on rows from --skip in order (no shuffle): the same untimed bootstrap as the faithful protocol, then per block of ${c.FAST_BLOCK} rows \`infer\` 100 steps on the block at once, \`collect\` the block, \`learn\` (one eig solve per layer); the figure is the run's time ÷ its rows (\`--fast-blocks\` blocks).`,
      '- **BLAS limit**: the dominant products, timed in C++ by `timeBlas` (native/binding/blas_timing.cpp) after a warm-up: collect of 256 rows, per layer `ssyrk` (d×d, rank m) + `sgemm` (m×d · d×k); collect of 1 row, the matrix-vector kernels the package runs for it, per layer `ssyr` (d×d, rank 1) + `sgemv` (zᵀW); learn step, per layer `ssymm` (C·W) + `ssyrk` (WᵀW) + 3 `sgemm` (Wᵀ(CW), (CW)(WᵀW), W(WᵀCW)); infer step of 256 rows, per layer 2 `sgemm` (h·Wᵀ and du·W), of 1 row 2 `sgemv` (W·h and Wᵀ·du), times 100; online, the sum of its parts (100 infer steps of 1 row and 1 collect of 1 row, as matrix-vector products, and 100 learn steps of the stack). The batched and learn products are those of native/bench/bench.cpp. The fast solvers have none: their cost is LAPACK- and QR-bound, not a fixed set of BLAS-3 products.',
      ...(activeLine ? [`- **the active block**: ${activeLine}`] : []),
      '- **tfjs-wasm**: scripts/bench/peer.js, the same math in tfjs ops: mirroring, the exact row-by-row moving average as one weighted rank-m product, the trace objective\'s gradient written as P(2S − 4I) + W(2T) with P = CW, S = WᵀW, T = WᵀP, TF1 Adam by hand (tfjs\'s `tf.train.adam` adds ε to the bias-corrected √v̂, TF1 does not), infer\'s decode with inverse mirroring and residue back-propagated by hand so that every product is a plain `matMul` (the rows of W split once per call into the even and odd halves of the mirrored pairs and transposed, the bias fused into the decode\'s products: no pair is gathered out of u). `tf.tidy` around every step, old state disposed, `dataSync()` before each clock reading. It does not run the fast solvers\' rows: TensorFlow.js has no symmetric eigensolver.',
      '- **flops** (the same nominal count for every column, so GFLOP/s ratios are time ratios): collect, per layer m·d(d+1) + 2·m·d·k; learn step, per layer 2d²k + 8dk² (ALGORITHM.md); infer, per step and layer 4·m·d·k; online, per row the sum of its parts. d = 2n is the mirrored input size, whether or not C\'s coordinates are active. O(m·d) and O(d·k) work (mirroring, Adam, the mean) is not counted. The fast solvers\' rows have no count ("—"; the notes give the fast online schedule\'s infer + collect flops).',
      '',
      '## Checks and notes',
      '',
      ...[...checkLines, ...notes, rss].map((line) => `- ${line}`),
      '',
    ].join('\n');
    fs.writeFileSync(o.markdown, md);
    const json = {
      command, date: started.toISOString(), seconds, machine: info, peer: peer ? peer.build : null,
      options: { rows: o.rows, skip: o.skip, fastBlocks: o.fastBlocks, ops: o.ops, budget: o.budget, threads: o.threads ?? null, wasmThreads: o.wasmThreads },
      ops: Object.fromEntries(c.OPS.filter((op) => results[op.id]).map((op) => [op.id, { label: op.label, flops: op.flops, ...results[op.id] }])),
      check: peer?.check ?? null,
      activeCoordinates: ours.active,
      peakRssMiB: { package: ours.peakRssMiB, peer: peer?.peakRssMiB ?? null },
      peerTensorsLeft: peer?.tensors ?? null,
    };
    fs.writeFileSync(o.json, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`Wrote ${path.relative(process.cwd(), o.markdown)} and ${path.relative(process.cwd(), o.json)}.`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error.stack ?? String(error));
  process.exit(1);
});
