/**
 * Where the package under test lives, and a guard that its build exists. The package tests check the built
 * `dist/` exactly as a consumer gets it, so a missing build must fail loudly rather than test stale or no code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Repository root: test/package → test → root. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface PackageJson {
  name: string;
  exports: Record<string, unknown>;
}

export function readPackageJson(): PackageJson {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as PackageJson;
}

/** Every file path the exports map can resolve to (all conditions, all subpaths). */
export function exportTargets(exportsMap: unknown): string[] {
  if (typeof exportsMap === 'string') return [exportsMap];
  if (typeof exportsMap !== 'object' || exportsMap === null) return [];
  return Object.values(exportsMap).flatMap(exportTargets);
}

/** Throws a clear instruction when the build the exports map points at is not there. */
export function assertBuilt(): void {
  const missing = exportTargets(readPackageJson().exports).filter((target) => !existsSync(join(PACKAGE_ROOT, target)));
  if (missing.length > 0) {
    throw new Error(
      `The package build is missing ${missing.join(', ')}. Run \`npm run build\` first ` +
        '(`npm test` does it through the pretest script).',
    );
  }
}
