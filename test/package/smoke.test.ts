/**
 * The built package as a consumer loads it: ESM `import` and CJS `require` of both entry points go through
 * the package's own `exports` map (Node lets a package import itself by name from inside its directory),
 * in fresh Node processes so nothing from the test runner's module graph leaks in.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, assertBuilt, exportTargets, readPackageJson } from './package-paths.js';

const execFileAsync = promisify(execFile);
const NAME = 'passport-twilio-verify-push';

/** The child inherits no NODE_OPTIONS: a loader from the test runner would hide a broken build. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  return env;
}

/** Runs a script in a new Node process from the package root and parses the JSON it prints. */
async function runScript(kind: 'esm' | 'cjs', source: string): Promise<Record<string, unknown>> {
  // Every test fails (rather than being skipped) with the same instruction when the build is missing.
  assertBuilt();
  const args = kind === 'esm' ? ['--input-type=module', '-e', source] : ['-e', source];
  try {
    const { stdout } = await execFileAsync(process.execPath, args, { cwd: PACKAGE_ROOT, env: childEnv() });
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`node (${kind}) failed:\n${stderr || String(error)}`);
  }
}

/**
 * Prints, for each name (a dotted path like `VerifyPushEmulator.start` reaches into an export), the `typeof`
 * of what it names, plus where the specifier resolved and the module's export names.
 */
function describeExports(names: string[]): string {
  return `JSON.stringify({ resolved, types: Object.fromEntries(${JSON.stringify(names)}.map((n) => [n, typeof n.split('.').reduce((o, k) => o?.[k], mod)])), keys: Object.keys(mod).sort(), strategyAlias: 'Strategy' in mod ? mod.Strategy === mod.VerifyPushStrategy : null })`;
}

const MAIN_NAMES = ['VerifyPushStrategy', 'Strategy', 'VerifyPushError', 'isVerifyPushError'];
const TESTING_NAMES = ['VerifyPushEmulator.start'];

const entries = [
  // Passport strategies conventionally export `Strategy`; it must be the same class, not a copy.
  { specifier: NAME, names: MAIN_NAMES, esmFile: 'dist/index.js', cjsFile: 'dist/index.cjs', expectStrategyAlias: true },
  {
    specifier: `${NAME}/testing`,
    names: TESTING_NAMES,
    esmFile: 'dist/testing/index.js',
    cjsFile: 'dist/testing/index.cjs',
    // The testing entry exports no strategy.
    expectStrategyAlias: null,
  },
];

describe('built package', () => {
  it('has a build for every file the exports map names', () => {
    assertBuilt();
    const pkg = readPackageJson();
    expect(pkg.name).toBe(NAME);
    const targets = exportTargets(pkg.exports);
    for (const file of ['./dist/index.js', './dist/index.cjs', './dist/index.d.ts', './dist/index.d.cts']) {
      expect(targets).toContain(file);
      expect(targets).toContain(file.replace('dist/', 'dist/testing/'));
    }
  });

  describe.each(entries)('$specifier', ({ specifier, names, esmFile, cjsFile, expectStrategyAlias }) => {
    it('imports as ESM through the exports map', async () => {
      const result = await runScript(
        'esm',
        `const mod = await import(${JSON.stringify(specifier)});
         const resolved = import.meta.resolve(${JSON.stringify(specifier)});
         console.log(${describeExports(names)});`,
      );
      expect(String(result['resolved'])).toMatch(new RegExp(`/${esmFile.replace(/\./g, '\\.')}$`));
      for (const name of names) expect(result['types'], name).toHaveProperty(name, 'function');
      expect(result['strategyAlias']).toBe(expectStrategyAlias);
    });

    it('requires as CJS through the exports map', async () => {
      const result = await runScript(
        'cjs',
        `const mod = require(${JSON.stringify(specifier)});
         const resolved = require.resolve(${JSON.stringify(specifier)}).split(require('node:path').sep).join('/');
         console.log(${describeExports(names)});`,
      );
      expect(String(result['resolved'])).toMatch(new RegExp(`/${cjsFile.replace(/\./g, '\\.')}$`));
      for (const name of names) expect(result['types'], name).toHaveProperty(name, 'function');
      expect(result['strategyAlias']).toBe(expectStrategyAlias);
    });
  });

  it('exposes the same public names from the ESM and the CJS build', async () => {
    for (const { specifier } of entries) {
      const esm = await runScript('esm', `const mod = await import('${specifier}'); const resolved = ''; console.log(${describeExports([])});`);
      const cjs = await runScript('cjs', `const mod = require('${specifier}'); const resolved = ''; console.log(${describeExports([])});`);
      expect(cjs['keys'], specifier).toEqual(esm['keys']);
    }
  });

  it('refuses deep imports that bypass the exports map', async () => {
    const result = await runScript(
      'cjs',
      `let code = 'loaded';
       try { require('${NAME}/dist/index.cjs'); } catch (error) { code = error.code; }
       console.log(JSON.stringify({ code }));`,
    );
    expect(result['code']).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('recognises an error from the CJS build with isVerifyPushError from the ESM build, and back', async () => {
    const result = await runScript(
      'esm',
      `import { createRequire } from 'node:module';
       const require = createRequire(import.meta.url);
       const cjs = require('${NAME}');
       const esm = await import('${NAME}');
       const fromCjs = new cjs.VerifyPushError('CHALLENGE_EXPIRED', 'expired');
       const fromEsm = new esm.VerifyPushError('RATE_LIMITED', 'slow down');
       console.log(JSON.stringify({
         separateClasses: cjs.VerifyPushError !== esm.VerifyPushError,
         instanceofAcross: fromCjs instanceof esm.VerifyPushError,
         esmRecognisesCjs: esm.isVerifyPushError(fromCjs),
         cjsRecognisesEsm: cjs.isVerifyPushError(fromEsm),
         codes: [fromCjs.code, fromEsm.code],
         plainErrorRecognised: esm.isVerifyPushError(Object.assign(new Error('x'), { code: 'CHALLENGE_EXPIRED' })),
       }));`,
    );
    // Two copies of the class really are loaded (the dual-package hazard), so instanceof cannot be relied on…
    expect(result['separateClasses']).toBe(true);
    expect(result['instanceofAcross']).toBe(false);
    // …and the code-based check is what works across builds.
    expect(result['esmRecognisesCjs']).toBe(true);
    expect(result['cjsRecognisesEsm']).toBe(true);
    expect(result['codes']).toEqual(['CHALLENGE_EXPIRED', 'RATE_LIMITED']);
    expect(result['plainErrorRecognised']).toBe(false);
  });

  it('starts the emulator from the CJS testing build and answers with the real twilio SDK', async () => {
    const result = await runScript(
      'cjs',
      `const { VerifyPushEmulator } = require('${NAME}/testing');
       (async () => {
         const emulator = await VerifyPushEmulator.start();
         try {
           const service = await emulator.client().verify.v2.services.create({ friendlyName: 'Smoke' });
           console.log(JSON.stringify({ sid: service.sid, url: emulator.url }));
         } finally {
           await emulator.close();
         }
       })().catch((error) => { console.error(error); process.exit(1); });`,
    );
    expect(result['sid']).toMatch(/^VA[0-9a-f]{32}$/);
    expect(String(result['url'])).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
  });
});
