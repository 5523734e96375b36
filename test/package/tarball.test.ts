/**
 * What `npm publish` would upload: the file list of `npm pack --dry-run`. The licence named in package.json has
 * to travel with the code, and the entry points have to be in it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, assertBuilt } from './package-paths.js';

const execFileAsync = promisify(execFile);

async function packedFiles(): Promise<string[]> {
  assertBuilt();
  const { stdout } = await execFileAsync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PACKAGE_ROOT });
  const [report] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
  return (report?.files ?? []).map((file) => file.path);
}

describe('packed tarball', () => {
  it('carries the MIT licence that package.json declares, and the README', { timeout: 60_000 }, async () => {
    const files = await packedFiles();
    expect(files).toContain('LICENSE');
    expect(files).toContain('README.md');
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { license: string };
    expect(pkg.license).toBe('MIT');
    const licence = readFileSync(join(PACKAGE_ROOT, 'LICENSE'), 'utf8');
    expect(licence).toMatch(/^MIT License\n/);
    expect(licence).toContain('Copyright (c) 2026 the passport-twilio-verify-push contributors');
  });

  it('carries both builds of both entry points, and the licences of what they bundle', { timeout: 60_000 }, async () => {
    const files = await packedFiles();
    const built = ['dist/index.js', 'dist/index.cjs', 'dist/testing/index.js', 'dist/testing/index.cjs'];
    // The CommonJS build bundles p-retry; its licence travels with it.
    for (const file of [...built, 'dist/THIRD-PARTY-LICENSES.txt']) {
      expect(files, file).toContain(file);
    }
  });
});
