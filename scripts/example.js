const os = require('node:os');
const path = require('node:path');
const { Autoencoder, oneHot } = require('indeependence');

// Three classes of noisy 16-pixel "images", with their labels.
let seed = 1;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const prototypes = Array.from({ length: 3 }, () => Array.from({ length: 16 }, random));
function sample(count) {
  const labels = Array.from({ length: count }, (_, r) => r % 3);
  const x = new Float32Array(count * 16);
  labels.forEach((label, r) => prototypes[label].forEach((p, i) => (x[r * 16 + i] = p + 0.1 * (random() - 0.5))));
  return { x, labels };
}

async function main() {
  const model = new Autoencoder({ inputSize: 16, labelSize: 3, layers: [8], statistics: 'cumulative', seed: 1 });

  const train = sample(300);
  model.collect(train.x, oneHot(train.labels, 3)); // statistics only: no row is kept
  const objective = await model.learnAsync({ steps: 2000 }); // off the event loop

  const test = sample(60);
  const predicted = model.classify(test.x, { steps: 100 }); // complete [x, ?] → label
  const correct = test.labels.filter((label, r) => predicted[r] === label).length;
  console.log(`objective ${objective[0].toFixed(3)}, accuracy ${(correct / test.labels.length).toFixed(3)}`);

  const file = path.join(os.tmpdir(), 'indeependence-example.safetensors');
  await model.save(file); // atomic; any safetensors reader opens it
  const again = await Autoencoder.load(file); // checked before trusted; continues bit for bit
  const same = again.classify(test.x, { steps: 100 }).every((label, r) => label === predicted[r]);
  console.log(`reloaded model agrees: ${same}`);
  model.dispose();
  again.dispose();
}

main();
