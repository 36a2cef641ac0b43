/** `indeependence info`: what a checkpoint holds, after the same checks as loading it. */
import { Autoencoder } from '../model';
import type { RunContext } from './train';

export async function info(file: string, json: boolean, context: RunContext): Promise<number> {
  const checkpoint = await Autoencoder.inspect(file);
  if (json) {
    context.stdout.write(`${JSON.stringify(checkpoint)}\n`);
    return 0;
  }
  const { config, metadata, packageVersion, layers } = checkpoint;
  const lines = [
    `${file}: indeependence checkpoint written by version ${packageVersion}`,
    `configuration: inputSize ${config.inputSize}, labelSize ${config.labelSize}, layers [${config.layers.join(', ')}], ` +
      `rate ${config.rate}, statistics ${config.statistics}, solver ${config.solver}, seed ${config.seed}, initScale ${config.initScale}, device ${config.device}`,
    ...layers.map((l, i) => `layer ${i}: ${l.inputSize} → ${l.codeSize}, ${l.rows} rows collected, ${l.adamSteps} optimiser steps`),
    ...Object.entries(metadata).map(([key, value]) => `${key}: ${value}`),
  ];
  context.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
