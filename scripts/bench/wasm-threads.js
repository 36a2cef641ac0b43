'use strict';
// Lets tfjs-backend-wasm's threaded SIMD build run in Node, which tfjs itself does not support
// (tensorflow/tfjs#3830: in Node it always picks a single-threaded build). The threaded build starts
// its pthreads as worker_threads from `blob:` URLs, which Node's Worker refuses, and tells each
// worker to import the main script from a Blob, which the worker cannot read. Here, Blobs made
// while the backend initialises remember their text; URL.createObjectURL gives them a temporary
// file instead (the main script with the bundle's module names defined), and the worker's 'load'
// message names that file instead of the Blob. Nothing is
// fetched: both scripts are the ones the package carries. Call enable() before tf.setBackend('wasm'), and the
// function it returns once the backend is ready.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const workerThreads = require('node:worker_threads');

function enable(tf, wasm, threads) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-wasm-threads-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  let count = 0;
  const fileOf = (blob) => {
    if (!blob.__file) {
      blob.__file = path.join(dir, `script-${++count}.js`);
      // The main script is the factory's source cut out of tfjs's bundle: give it the bundle's
      // names for the modules it requires.
      const prelude = blob.__text.startsWith('var WasmBackendModuleThreadedSimd')
        ? "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;\n"
        : '';
      fs.writeFileSync(blob.__file, prelude + blob.__text);
    }
    return blob.__file;
  };

  const NativeBlob = globalThis.Blob;
  globalThis.Blob = class RecordingBlob extends NativeBlob {
    constructor(parts = [], options) {
      super(parts, options);
      this.__text = parts.every((p) => typeof p === 'string') ? parts.join('') : null;
    }
  };
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (blob) => (blob && typeof blob.__text === 'string' ? fileOf(blob) : createObjectURL(blob));
  const postMessage = workerThreads.Worker.prototype.postMessage;
  workerThreads.Worker.prototype.postMessage = function (message, ...rest) {
    if (message && message.cmd === 'load' && message.urlOrBlob && typeof message.urlOrBlob.__text === 'string')
      message = { ...message, urlOrBlob: fileOf(message.urlOrBlob) };
    return postMessage.call(this, message, ...rest);
  };

  // The backend caps its pool at half the logical cores (it assumes two hyperthreads per core),
  // counted once while the module starts: show it each core twice until then, so that `threads`
  // up to the number of cores is honoured.
  const cpus = os.cpus;
  os.cpus = () => {
    const list = cpus.call(os);
    return [...list, ...list];
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  return () => {
    os.cpus = cpus;
  };
}

module.exports = { enable };
