/**
 * Writing a file so that a crash at any moment leaves either the old file or the complete new one:
 * the bytes go to a temporary file in the same folder (so the rename cannot cross file systems),
 * are flushed to the disk, and only then renamed over the target; the folder is flushed too, so the
 * rename itself survives a power cut. A save killed before its rename leaves its temporary file
 * behind; the next save of the same target removes those of processes that no longer exist.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { typeError, type CodedError } from '../errors';

/** `.<target name>.<pid>.<12 hex digits>.tmp`: the temporary file of a save by process <pid>. */
function temporaryPattern(name: string): RegExp {
  return new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as CodedError).code === 'EPERM'; // alive, owned by someone else
  }
}

/** Best effort: a folder that cannot be listed, or a file that cannot be removed, is left as it is. */
async function removeStaleTemporaries(folder: string, name: string): Promise<void> {
  const pattern = temporaryPattern(name);
  const entries = await fs.readdir(folder).catch(() => [] as string[]);
  for (const entry of entries) {
    const match = pattern.exec(entry);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !processExists(pid)) await fs.rm(path.join(folder, entry), { force: true }).catch(() => undefined);
  }
}

export async function writeFileAtomic(target: string, data: Uint8Array): Promise<void> {
  // A NUL byte would otherwise reach fs.open, whose error is not one of this package's.
  if (target.includes('\0')) throw typeError('file', 'a path without NUL bytes', target);
  const absolute = path.resolve(target);
  const folder = path.dirname(absolute);
  await removeStaleTemporaries(folder, path.basename(absolute));
  const temporary = path.join(folder, `.${path.basename(absolute)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await fs.open(temporary, 'wx', 0o644);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.rename(temporary, absolute);
  } catch (cause) {
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    const { code, message } = cause as CodedError;
    throw Object.assign(new Error(`could not save ${absolute}: ${message}`, { cause }), { code: code ?? 'ERR_INDEE_IO' });
  }
  const handle = await fs.open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
