/** The README's commands and example are the real ones: the example is scripts/example.js and prints what is claimed, the quick start's train command runs, its pictures exist. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { main } from '../lib/cli/main';
import { decodePng } from './png-decode';

const root = path.join(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const quickStart = /## Quick start[\s\S]*?```sh\n(.*)\n(.*)\n```/.exec(readme);

test('the example is scripts/example.js, and its output is as documented', () => {
  const block = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme);
  expect(block).not.toBeNull();
  const script = path.join(root, 'scripts', 'example.js');
  expect(block![1]).toBe(readFileSync(script, 'utf8'));

  const claimed = /It prints:\n\n```\n([\s\S]*?)\n```/.exec(readme);
  expect(claimed).not.toBeNull();
  const output = execFileSync(process.execPath, [script], { cwd: root, encoding: 'utf8' }).trim();
  expect(output).toBe(claimed![1]);
});

test("the quick start's main job is a train command that runs (here on 3 rows)", async () => {
  expect(quickStart).not.toBeNull();
  const job = /&& npx indeependence (train .*)$/.exec(quickStart![1]);
  expect(job).not.toBeNull();
  const out = mkdtempSync(path.join(os.tmpdir(), 'indee-readme-'));
  try {
    let stderr = '';
    const args = [...job![1].split(/\s+/), '--limit', '3', '--out', out, '--quiet'];
    const status = await main(args, { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, interrupted: () => false });
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect(readFileSync(path.join(out, 'error.txt'), 'utf8').trim().split('\n')).toHaveLength(3);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the pictures the README shows are in the repository and decode', () => {
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+\.png)\)/g)].map((m) => m[1]);
  expect(images.length).toBeGreaterThanOrEqual(2);
  for (const image of images) {
    expect(existsSync(path.join(root, image))).toBe(true);
    expect(decodePng(readFileSync(path.join(root, image))).width).toBeGreaterThan(100);
  }
});

test('the README documents the test command that CI runs', () => {
  const ci = readFileSync(path.join(root, '.ci', 'run'), 'utf8');
  expect(quickStart![2]).toBe('npm test');
  expect(ci).toMatch(/^npm test$/m);
});
