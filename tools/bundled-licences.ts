/**
 * Licences of third-party code that a build carries inside its own files. The CommonJS build bundles p-retry
 * (see tsup.config.ts), and its MIT licence asks that the notice travels with every copy. After each build this
 * reads the source maps, finds every package from node_modules that ended up inside a built file, and writes
 * their licence texts next to the build, so a newly bundled package can never ship without its notice.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

/** The file written into the build folder (published with it). */
export const LICENCES_FILE = 'THIRD-PARTY-LICENSES.txt';

/** Every source map under `dir`, recursively. */
function sourceMaps(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceMaps(path);
    return entry.name.endsWith('.map') ? [path] : [];
  });
}

/** The package folder a bundled source file came from (`…/node_modules/@scope/name/…` → that folder). */
function packageFolderOf(file: string): string | undefined {
  const parts = file.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return undefined;
  const depth = parts[at + 1]!.startsWith('@') ? 3 : 2;
  return parts.slice(0, at + depth).join(sep);
}

/** Package folders whose code is inside some built file under `outDir`, sorted by path. */
export function bundledPackageFolders(outDir: string): string[] {
  const folders = new Set<string>();
  for (const map of sourceMaps(outDir)) {
    const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
    for (const source of sources) {
      const folder = packageFolderOf(resolve(dirname(map), source));
      if (folder) folders.add(folder);
    }
  }
  return [...folders].sort();
}

function licenceText(folder: string): string {
  const file = readdirSync(folder).find((name) => /^licen[cs]e(\.(md|txt))?$/i.test(name));
  if (!file) throw new Error(`${folder} is bundled into the build but ships no licence file: check its terms first`);
  return readFileSync(join(folder, file), 'utf8').trim();
}

/** Writes `outDir/THIRD-PARTY-LICENSES.txt` for what the build bundled; nothing when it bundled nothing. */
export function writeBundledLicences(outDir: string): void {
  const sections = bundledPackageFolders(outDir).map((folder) => {
    const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
    return `${pkg.name}@${pkg.version} (${pkg.license ?? 'see below'})\n\n${licenceText(folder)}`;
  });
  const intro = 'Files in this folder include code from the following packages, under the licences reproduced here.';
  if (sections.length === 0) return;
  writeFileSync(join(outDir, LICENCES_FILE), `${[intro, ...sections].join(`\n\n${'-'.repeat(78)}\n\n`)}\n`);
}
