// Modules stay small (docs/STYLE.md, issue 9): no source file over 400
// lines, so none grows into the composition root nobody can read.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MAX_LINES = 400;
const ROOTS = ['server', 'web/src', 'simulators', 'bench', 'db'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|lua)$/.test(name) ? [path] : [];
  });
}

describe('architecture: module size', () => {
  it(`keeps every source file at ${MAX_LINES} lines or fewer`, () => {
    const files = ROOTS.flatMap(sources);
    assert.ok(files.length > 100, 'the source files were found');
    const long = files.map((file) => [file, readFileSync(file, 'utf8').split('\n').length - 1] as const).filter(([, lines]) => lines > MAX_LINES);
    assert.deepEqual(long, [], 'split these files by job');
  });
});
