#!/usr/bin/env node
/**
 * The `indeependence` executable. The first Ctrl-C asks the running command to stop at its next
 * safe point (train: after the current row or block, saving a checkpoint; evaluate: after the
 * current batch; continual: after the current method); a second one quits at once (the last
 * checkpoint is intact: saves are atomic).
 */
import { main } from './main';

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\nindeependence: stopping at the next safe point (train saves a checkpoint); Ctrl-C again to quit at once\n');
});

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, interrupted: () => interrupted }).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`indeependence: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
