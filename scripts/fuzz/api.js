'use strict';
/**
 * Fuzz targets of the public model API: the constructor's option space, then sequences of method
 * calls with arguments of every type, length, typed-array kind and option object. Sizes are kept
 * small or absurd (never in between), so that a case never allocates much: an absurd size must be
 * refused by validation or by the memory estimate, not allocated.
 * Oracles: failures are package errors; a constructed model's config is its options with the
 * defaults; results have the lengths the documentation gives; a model survives its own checkpoint.
 */
const { attempt, expectClean, fail, weirdValue, typeName, take, sometimes } = require('./common');

const MAX_STEPS = 100_000_000;

/** Sizes between 64 and 2^17 are folded back to small ones: valid but large models cost real memory. */
function foldSize(v) {
  return typeof v === 'number' && Number.isInteger(v) && v > 64 && v < 2 ** 17 ? (v % 64) + 1 : v;
}
/** Step counts between 8 and the maximum are folded back: valid but long runs are not what is fuzzed here. */
function foldSteps(v) {
  return typeof v === 'number' && Number.isInteger(v) && v > 8 && v <= MAX_STEPS ? v % 8 : v;
}

const HUGE_SIZES = [2 ** 17, 2 ** 20, 2 ** 20 + 1, 2 ** 24, 2 ** 31, 2 ** 53, 23171, 46341];
const OPTION_KEYS = ['inputSize', 'labelSize', 'layers', 'rate', 'statistics', 'solver', 'seed', 'initScale', 'device'];
const DELETE = Symbol('delete');

/**
 * Constructor options: a valid small configuration, then (half the time) one or two of its keys
 * replaced by anything (an absurd size, a weird value, a broken layer list), deleted, or joined by
 * an unknown key; now and then not an object at all.
 */
function optionsArbitrary(fc) {
  const maybe = (valid) => fc.oneof(fc.constant(undefined), valid);
  const valid = fc.record({
    inputSize: fc.integer({ min: 1, max: 5 }),
    labelSize: fc.integer({ min: 0, max: 3 }),
    layers: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
    rate: maybe(fc.double({ min: 1e-4, max: 2, noNaN: true })),
    statistics: maybe(fc.constantFrom('ema', 'cumulative')),
    solver: maybe(fc.constantFrom('adam', 'subspace', 'eig')),
    seed: maybe(fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER))),
    initScale: maybe(fc.double({ min: 0, max: 1, noNaN: true })),
    device: maybe(fc.constant('cpu')),
  });
  const replacement = fc.oneof(
    { weight: 3, arbitrary: weirdValue(fc).map(foldSize) },
    { weight: 2, arbitrary: fc.constantFrom(...HUGE_SIZES) },
    { weight: 1, arbitrary: fc.constant(DELETE) },
    { weight: 1, arbitrary: fc.constantFrom([], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], new Array(3), [1, , 2], [2 ** 17], [3, 2 ** 20], [1, 'a'], [1.5], [0], [-1], [NaN]) },
  );
  const edit = fc.record({ key: fc.constantFrom(...OPTION_KEYS, ...OPTION_KEYS, 'extra', 'inputsize', '__proto__', 'constructor', 'toString'), value: replacement });
  const edited = fc.tuple(valid, fc.oneof(fc.constant([]), fc.array(edit, { minLength: 1, maxLength: 2 }))).map(([o, edits]) => {
    const out = { ...o };
    for (const { key, value } of edits) {
      if (value === DELETE) delete out[key];
      else Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  });
  return fc.oneof({ weight: 15, arbitrary: edited }, { weight: 1, arbitrary: weirdValue(fc) });
}

const ARRAY_KINDS = ['Float32Array', 'Float32Array', 'Float32Array', 'Float32Array', 'Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array', 'Array', 'Buffer', 'DataView', 'BigInt64Array'];
const FILLS = ['normal', 'normal', 'normal', 'zero', 'nan', 'inf', 'huge', 'denormal', 'negzero'];

function arrayArbitrary(fc, width) {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('rows'),
        rows: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(0)),
        extra: fc.constantFrom(0, 0, 0, 0, 0, 0, 1, -1, 7),
        type: fc.constantFrom(...ARRAY_KINDS),
        fill: fc.constantFrom(...FILLS),
        offset: fc.nat(3).map((n) => n === 0),
        width: fc.constantFrom(width, width, width, width, 'input', 'label', 'code', 'joint'),
      }),
    },
    { weight: 1, arbitrary: weirdValue(fc) },
  );
}

function optionArbitrary(fc, keys) {
  const value = {
    alpha: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, -0)),
    batch: fc.constantFrom('sequential', 'sum'),
    steps: fc.integer({ min: 0, max: 4 }),
    metadata: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }), fc.constant({ a: 1 }), fc.constant(['x'])),
  };
  const entries = Object.fromEntries(keys.map((k) => [k, fc.oneof({ weight: 4, arbitrary: value[k] }, { weight: 1, arbitrary: weirdValue(fc).map(foldSteps) })]));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: fc.record(entries, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.tuple(fc.record(entries, { requiredKeys: [] }), fc.constantFrom('extra', 'step', 'Alpha'), weirdValue(fc)).map(([o, k, v]) => ({ ...o, [k]: v })) },
    { weight: 1, arbitrary: weirdValue(fc) },
  );
}

const METHODS = [
  'collect', 'collectAsync', 'learn', 'learnAsync', 'objectives', 'objectivesAsync', 'objectiveGradient', 'objectiveGradientAsync',
  'encode', 'encodeAsync', 'decode', 'decodeAsync', 'infer', 'inferAsync', 'classify', 'classifyAsync', 'completionGradient', 'completionGradientAsync',
  'layer', 'toBuffer', 'roundtrip', 'dispose', 'busy', 'getters',
];

function callArbitrary(fc) {
  return fc.record({
    method: fc.constantFrom(...METHODS),
    x: arrayArbitrary(fc, 'input'),
    y: fc.oneof({ weight: 2, arbitrary: fc.constantFrom(undefined, null) }, { weight: 3, arbitrary: arrayArbitrary(fc, 'label') }),
    codes: arrayArbitrary(fc, 'code'),
    index: fc.oneof({ weight: 4, arbitrary: fc.nat(3) }, { weight: 1, arbitrary: weirdValue(fc) }),
    collectOptions: optionArbitrary(fc, ['alpha', 'batch']),
    stepOptions: optionArbitrary(fc, ['steps']),
    saveOptions: optionArbitrary(fc, ['metadata']),
    seed: fc.nat(),
  });
}

function modelArbitrary(fc) {
  return fc.record({ options: optionsArbitrary(fc), calls: fc.array(callArbitrary(fc), { maxLength: 6 }) });
}

const STATICS = ['fromBuffer', 'load', 'inspect', 'loadWithInfo', 'save', 'readIdx', 'readNpy', 'readCsv', 'streamIdx', 'streamNpy', 'streamCsv'];

function staticArbitrary(fc) {
  return fc.record({
    method: fc.constantFrom(...STATICS),
    arg: fc.oneof(weirdValue(fc), fc.uint8Array({ maxLength: 40 }), fc.constantFrom('', '\0', 'x\0y', 'TMP', 'TMP/missing/x')),
    options: fc.oneof(fc.constant(undefined), fc.constant({ rows: 2 }), weirdValue(fc), fc.record({ rows: weirdValue(fc), label: weirdValue(fc), header: weirdValue(fc), delimiter: weirdValue(fc) }, { requiredKeys: [] })),
  });
}

/** Calls of the static entry points and the data readers with arguments of any type: refused cleanly, or (for a valid source) read. */
async function runStatic(api, ctx, c) {
  // Paths never leave the temporary folder: a generated string is a name in a folder that does not
  // exist (so save() cannot write anywhere, and reads find nothing), except the few special ones.
  const special = { '': '', '\0': '\0', 'x\0y': 'x\0y', TMP: ctx.tmp, 'TMP/missing/x': `${ctx.tmp}/missing/x` };
  const arg = typeof c.arg !== 'string' ? c.arg : c.arg in special ? special[c.arg] : `${ctx.tmp}/missing/${c.arg}`;
  const what = `${c.method}(${typeName(arg)} ${typeof arg === 'string' ? JSON.stringify(arg) : ''}, ${typeName(c.options)})`;
  const call = async () => {
    if (c.method === 'save') {
      const model = new api.Autoencoder({ inputSize: 1, labelSize: 0, layers: [1] });
      try {
        return await model.save(arg, c.options);
      } finally {
        model.dispose();
      }
    }
    if (c.method.startsWith('stream')) {
      // Arguments are checked at the call (synchronously); the source when iterating.
      let iterable;
      try {
        iterable = api[c.method](arg, c.options);
      } catch (error) {
        return { syncError: error };
      }
      return take(iterable, 16);
    }
    if (c.method.startsWith('read')) return api[c.method](arg, c.options);
    return api.Autoencoder[c.method](arg);
  };
  const outcome = expectClean(await attempt(call), what, { system: typeof arg === 'string' });
  if (outcome.ok && outcome.value && outcome.value.syncError) expectClean({ ok: false, error: outcome.value.syncError }, `${what} at the call`);
  if (outcome.ok && outcome.value && outcome.value.syncError === undefined && ['fromBuffer', 'load', 'inspect', 'loadWithInfo', 'save'].includes(c.method)) fail(`${what} was accepted`);
  return outcome.ok && !(outcome.value && outcome.value.syncError) ? 'accepted' : 'refused';
}

/** Builds the array a spec describes, against the model's widths. */
function build(spec, model, seed) {
  if (spec === null || typeof spec !== 'object' || spec.kind !== 'rows') return spec;
  const { inputSize, labelSize } = model.config;
  const width = { input: inputSize, label: labelSize, code: model.codeSize, joint: inputSize + labelSize }[spec.width];
  const length = Math.max(0, spec.rows * width + spec.extra);
  let s = seed >>> 0;
  const value = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 4294967296;
    switch (spec.fill) {
      case 'zero': return 0;
      case 'nan': return u < 0.5 ? NaN : u;
      case 'inf': return u < 0.5 ? (u < 0.25 ? Infinity : -Infinity) : u;
      case 'huge': return (u - 0.5) * 6e38;
      case 'denormal': return u * 1e-40;
      case 'negzero': return -0;
      default: return u * 2 - 1;
    }
  };
  const values = Array.from({ length }, value);
  switch (spec.type) {
    case 'Array': return values;
    case 'Buffer': return Buffer.from(Float32Array.from(values).buffer);
    case 'DataView': return new DataView(Float32Array.from(values).buffer);
    case 'BigInt64Array': return BigInt64Array.from(values, (v) => BigInt(Math.trunc(Number.isFinite(v) ? v : 0)));
    case 'Float32Array':
      if (spec.offset) {
        const backing = new Float32Array(length + 2);
        backing.set(values, 1);
        return backing.subarray(1, 1 + length);
      }
      return Float32Array.from(values);
    default: return globalThis[spec.type].from(values);
  }
}

/** The rows of a batch argument when it is a valid one for `width`, else null. */
function rowsOf(value, width) {
  return typeName(value) === 'Float32Array' && value.length > 0 && value.length % width === 0 ? value.length / width : null;
}

function checkLength(what, array, expected, type = 'Float32Array') {
  if (typeName(array) !== type || array.length !== expected) fail(`${what}: expected a ${type}(${expected}), got ${typeName(array)}(${array && array.length})`);
}

/** Checks a successful result against the documented shapes. */
function checkResult(method, result, model, args) {
  const { inputSize, labelSize } = model.config;
  const k = model.codeSize;
  const m = rowsOf(args.x, inputSize);
  const base = method.replace(/Async$/, '');
  switch (base) {
    case 'collect':
      if (result !== undefined) fail('collect returned a value');
      break;
    case 'learn':
    case 'objectives':
      checkLength(base, result, model.depth, 'Float64Array');
      break;
    case 'objectiveGradient': {
      const n = args.index === 0 ? inputSize + labelSize : model.config.layers[args.index - 1];
      if (typeof result.value !== 'number') fail('objectiveGradient: value is not a number');
      checkLength('objectiveGradient.gradient', result.gradient, 2 * n * model.config.layers[args.index]);
      break;
    }
    case 'encode':
      checkLength('encode', result, m * k);
      break;
    case 'decode': {
      const r = rowsOf(args.codes, k);
      checkLength('decode.x', result.x, r * inputSize);
      checkLength('decode.y', result.y, r * labelSize);
      checkLength('decode.residue', result.residue, r, 'Float64Array');
      break;
    }
    case 'infer':
      checkLength('infer.labels', result.labels, m, 'Int32Array');
      if (result.labels.some((l) => l < 0 || l >= labelSize)) fail('infer: a label outside [0, labelSize)');
      checkLength('infer.scores', result.scores, m * labelSize);
      checkLength('infer.reconstruction', result.reconstruction, m * inputSize);
      checkLength('infer.codes', result.codes, m * k);
      checkLength('infer.loss', result.loss, m, 'Float64Array');
      break;
    case 'classify':
      checkLength('classify', result, m, 'Int32Array');
      break;
    case 'completionGradient':
      checkLength('completionGradient.loss', result.loss, m, 'Float64Array');
      checkLength('completionGradient.gradient', result.gradient, m * k);
      break;
    default:
  }
}

function checkConfig(config, options) {
  const defaults = { rate: 0.01, statistics: 'ema', solver: 'adam', seed: 1, initScale: 0.0005, device: 'cpu' };
  for (const key of ['inputSize', 'labelSize', 'rate', 'statistics', 'solver', 'seed', 'initScale', 'device']) {
    const want = options[key] === undefined ? defaults[key] : options[key];
    if (!Object.is(config[key], want)) fail(`config.${key} is ${String(config[key])}, the options say ${String(want)}`);
  }
  if (JSON.stringify(config.layers) !== JSON.stringify(options.layers)) fail('config.layers differs from options.layers');
}

async function runModel(api, c) {
  const created = expectClean(await attempt(() => new api.Autoencoder(c.options)), 'new Autoencoder');
  if (!created.ok) return 'options refused';
  const model = created.value;
  const pending = [];
  let succeeded = 0;
  try {
    checkConfig(model.config, c.options);
    for (const call of c.calls) {
      const args = { x: build(call.x, model, call.seed), y: build(call.y, model, call.seed + 1), codes: build(call.codes, model, call.seed + 2), index: call.index };
      if (call.method === 'completionGradient' || call.method === 'completionGradientAsync') {
        // Mostly with codes of matching rows, so that the computation itself is reached.
        const m = rowsOf(args.x, model.config.inputSize);
        if (m !== null && call.seed % 4 !== 0) args.codes = new Float32Array(m * model.codeSize).fill(0.25);
      }
      const invoke = () => {
        switch (call.method) {
          case 'collect': case 'collectAsync': return model[call.method](args.x, args.y, call.collectOptions);
          case 'learn': case 'learnAsync': return model[call.method](call.stepOptions);
          case 'objectives': case 'objectivesAsync': return model[call.method]();
          case 'objectiveGradient': case 'objectiveGradientAsync': return model[call.method](args.index);
          case 'encode': case 'encodeAsync': return model[call.method](args.x, args.y);
          case 'decode': case 'decodeAsync': return model[call.method](args.codes);
          case 'infer': case 'inferAsync': case 'classify': case 'classifyAsync': return model[call.method](args.x, call.stepOptions);
          case 'completionGradient': case 'completionGradientAsync': return model[call.method](args.x, args.codes);
          case 'layer': return model.layer(args.index);
          case 'toBuffer': return model.toBuffer(call.saveOptions);
          case 'dispose': return model.dispose();
          default: return undefined;
        }
      };
      if (call.method === 'roundtrip') {
        const saved = expectClean(await attempt(() => model.toBuffer()), 'toBuffer');
        if (saved.ok) {
          const copy = expectClean(await attempt(() => api.Autoencoder.fromBuffer(saved.value)), 'fromBuffer(toBuffer())');
          if (!copy.ok) fail(`a model's own checkpoint does not load: ${copy.error.message}`);
          if (!copy.value.toBuffer().equals(saved.value)) fail("a model's checkpoint does not re-save to the same bytes");
          copy.value.dispose();
        }
        continue;
      }
      if (call.method === 'busy') {
        // A synchronous call while an async one is pending: ERR_INDEE_BUSY, never a race.
        const p = model.objectivesAsync();
        pending.push(p.catch(() => undefined));
        const sync = await attempt(() => model.objectives());
        expectClean(sync, 'objectives() while an async call is pending');
        if (sync.ok && !model.disposed) fail('a synchronous call succeeded while an async one was pending');
        expectClean(await attempt(() => p), 'objectivesAsync()');
        continue;
      }
      if (call.method === 'getters') {
        const g = [model.depth, model.codeSize, model.pending, model.disposed];
        if (g[0] !== model.config.layers.length || g[1] !== model.config.layers[model.config.layers.length - 1] || typeof g[2] !== 'number' || typeof g[3] !== 'boolean') fail('getters disagree with the config');
        continue;
      }
      const outcome = expectClean(await attempt(invoke), `${call.method}(${describeArgs(call, args)})`);
      if (outcome.ok) {
        ++succeeded;
        if (call.method === 'layer') {
          const s = outcome.value;
          checkLength('layer.W', s.W, 2 * s.inputSize * s.codeSize);
          checkLength('layer.C', s.C, 4 * s.inputSize * s.inputSize);
        } else if (call.method === 'toBuffer') {
          if (!Buffer.isBuffer(outcome.value)) fail('toBuffer did not return a Buffer');
        } else checkResult(call.method, outcome.value, model, args);
      }
    }
  } finally {
    await Promise.all(pending);
    if (!model.disposed) model.dispose();
  }
  return `constructed, ${succeeded === 0 ? 'no call' : succeeded === 1 ? '1 call' : '2+ calls'} succeeded`;
}

function describeArgs(call, args) {
  const d = (v) => (v === null || v === undefined ? String(v) : typeof v === 'object' ? `${typeName(v)}(${v.length ?? v.byteLength ?? ''})` : typeof v === 'symbol' || typeof v === 'bigint' || typeof v === 'function' ? typeof v : JSON.stringify(v) ?? String(v));
  return `x=${d(args.x)} y=${d(args.y)} codes=${d(args.codes)} index=${d(args.index)}`;
}

module.exports = function apiTargets(fc, api, ctx) {
  return [
    { name: 'model.calls', weight: 3, arbitrary: modelArbitrary(fc), run: (c) => runModel(api, c) },
    { name: 'model.static', weight: 1, arbitrary: staticArbitrary(fc), run: (c) => runStatic(api, ctx, c) },
  ];
};
