/** The README's example is scripts/quickstart.js, runs, and prints what the README says it prints. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

test('the quick-start example is scripts/quickstart.js, and its output is as documented', () => {
  const block = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme);
  expect(block).not.toBeNull();
  const script = path.join(root, 'scripts', 'quickstart.js');
  expect(block![1]).toBe(readFileSync(script, 'utf8'));

  const claimed = /It prints `([^`]+)`/.exec(readme);
  expect(claimed).not.toBeNull();
  const output = execFileSync(process.execPath, [script], { cwd: root, encoding: 'utf8' }).trim();
  expect(output).toBe(claimed![1]);
});

test('the README documents the test command that CI runs', () => {
  const ci = readFileSync(path.join(root, '.ci', 'run'), 'utf8');
  expect(readme).toContain('```sh\nnpm test\n```');
  expect(ci).toMatch(/^npm test$/m);
});
