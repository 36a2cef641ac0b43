'use strict';
// What the install smoke test does with the installed package, whichever way it was loaded: a
// model learns a few hundred MNIST rows, classifies others, and survives a checkpoint round trip.
const assert = require('node:assert/strict');
const os = require('node:os');
const path = require('node:path');

module.exports = async function exercise(api, where) {
  for (const name of ['Autoencoder', 'mnist', 'Dataset', 'oneHot', 'readIdx', 'setThreads'])
    assert.equal(typeof api[name], 'function', `${where}: named export ${name}`);
  const { Autoencoder, mnist } = api;
  const data = await mnist();
  assert.equal(data.rows, 70000);
  const train = data.range(0, 300), test = data.range(60000, 60100);
  const model = new Autoencoder({ inputSize: 784, labelSize: 10, layers: [50], statistics: 'cumulative', solver: 'eig' });
  await model.collectAsync(train.x, train.y());
  await model.learnAsync({ steps: 1 });
  const { labels } = await model.inferAsync(test.x, { steps: 20 });
  const correct = labels.filter((label, r) => label === test.labels[r]).length;
  assert.ok(correct > 40, `${where}: ${correct} of 100 test rows right after learning 300 rows (chance: 10)`);
  const file = path.join(os.tmpdir(), `indee-smoke-${process.pid}-${where.replace(/\W/g, '')}.safetensors`);
  await model.save(file);
  const again = await Autoencoder.load(file);
  assert.deepEqual(again.classify(test.x, { steps: 20 }), labels, `${where}: the reloaded model classifies alike`);
  model.dispose();
  again.dispose();
  // device 'cuda' runs where a GPU is; elsewhere it is a clear error. Where the package ships the CUDA
  // plugin (INDEE_SMOKE_PLUGIN), the error must come from the machine (no driver, GPU or cuBLAS), not
  // from a plugin the installed package cannot find.
  let cuda;
  try {
    const gpu = new Autoencoder({ inputSize: 4, labelSize: 2, layers: [3], device: 'cuda' });
    cuda = gpu.deviceName;
    gpu.dispose();
  } catch (error) {
    assert.equal(error.code, 'ERR_INDEE_DEVICE_UNAVAILABLE', `${where}: ${error.message}`);
    if (process.env.INDEE_SMOKE_PLUGIN === '1') assert.doesNotMatch(error.message, /plugin .*not found/, `${where}: ${error.message}`);
    cuda = error.message.split('\n')[0];
  }
  console.log(`${where}: ok (${correct}/100 right after 300 rows; checkpoint round trip; cuda: ${cuda})`);
};
