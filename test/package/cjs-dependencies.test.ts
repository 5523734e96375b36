/**
 * What the built files load from node_modules. A CommonJS file must never `require()` an ES-module-only
 * package: Node then hands over the module namespace instead of its default export (or refuses, on Node
 * before 20.19 / 22.12), which is how p-retry once broke every CommonJS app on its first Twilio call. Such
 * packages are bundled into the CommonJS build instead, and the licences of whatever is bundled ship with it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LICENCES_FILE, bundledPackageFolders } from '../../tools/bundled-licences.js';
import { PACKAGE_ROOT, assertBuilt } from './package-paths.js';

const DIST = join(PACKAGE_ROOT, 'dist');

function builtFiles(dir: string, extension: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return builtFiles(path, extension);
    return entry.name.endsWith(extension) ? [path] : [];
  });
}

/** Bare package specifiers a file loads with `require("…")` (node: built-ins and relative paths left out). */
function requiredPackages(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const names = [...source.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]!);
  return [...new Set(names.filter((name) => !name.startsWith('node:') && !name.startsWith('.')))];
}

/** Whether Node loads `file` as an ES module: `.mjs`, or `.js` under a package.json with `"type": "module"`. */
function loadsAsEsm(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type === 'module';
  }
  return false;
}

describe('dependencies of the built files', () => {
  it('the CommonJS build requires only packages that load as CommonJS', () => {
    assertBuilt();
    const files = builtFiles(DIST, '.cjs');
    expect(files.length).toBeGreaterThan(0);
    const offenders: string[] = [];
    for (const file of files) {
      const requireFrom = createRequire(file);
      for (const name of requiredPackages(file)) {
        const resolved = requireFrom.resolve(name);
        if (loadsAsEsm(resolved)) offenders.push(`${file.slice(PACKAGE_ROOT.length)} requires ES module ${name}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the CommonJS build carries its own p-retry; the ESM build imports it from node_modules', () => {
    assertBuilt();
    const cjs = readFileSync(join(DIST, 'index.cjs'), 'utf8');
    const esm = readFileSync(join(DIST, 'index.js'), 'utf8');
    expect(cjs).not.toMatch(/require\("p-retry"\)/);
    expect(esm).toMatch(/from "p-retry"/);
    expect(esm).not.toMatch(/node_modules\/p-retry/);
  });

  it('ships the licence of every package bundled into a built file', () => {
    assertBuilt();
    const folders = bundledPackageFolders(DIST);
    const names = folders.map((folder) => (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name: string }).name);
    expect(names).toContain('p-retry');
    const licences = readFileSync(join(DIST, LICENCES_FILE), 'utf8');
    for (const name of names) expect(licences, name).toMatch(new RegExp(`^${name}@\\d+\\.\\d+\\.\\d+ \\(MIT\\)$`, 'm'));
    expect(licences).toContain('Permission is hereby granted, free of charge');
  });
});
