/** Where this package lives and which version it is: lib/ (sources) and dist/ (compiled) both sit one level below package.json. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const packageRoot = path.join(__dirname, '..');

export const packageVersion: string = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
