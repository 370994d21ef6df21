// The last lines of a child's log file, for error messages: a readiness failure is only actionable
// when it shows what the process itself said before it died or hung.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const MAX_BYTES = 16 * 1024;

export function logTail(path: string, lines = 30): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '(no log written)';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, MAX_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8').trimEnd();
    if (text === '') return '(log is empty)';
    return text.split('\n').slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}
