#!/usr/bin/env node
/**
 * The `indeependence` executable. The first Ctrl-C asks the running command to stop after the
 * current row and save a checkpoint; a second one quits at once (the last checkpoint is intact:
 * saves are atomic).
 */
import { main } from './main';

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\nindeependence: stopping after this row and saving a checkpoint (Ctrl-C again to quit at once)\n');
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
