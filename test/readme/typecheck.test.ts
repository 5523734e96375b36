import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { MY_APP, MY_APP_FACTORY, readmeBlock, readmeBlocks, repoRoot, writeGenerated } from './readme-blocks.js';

// The other README tests run the samples, but vitest strips types without checking them, so a sample that a
// strict TypeScript user cannot compile would pass there. This test compiles every marked sample with tsc.

const FOLDER = 'readme-typecheck';

interface CheckedFile {
  /** Path under test-output/readme-typecheck/. */
  file: string;
  /** The README blocks this file holds. */
  blocks: string[];
  source: string;
}

/**
 * Each sample with the smallest prelude that lets it stand alone: only declarations of what the README says
 * already exists around it (`app`, `push`), typed exactly, so nothing hides an error in the sample itself.
 */
/**
 * A sample that runs inside an app: its own imports first, then declarations of the `app`, `passport` and
 * `push` the README says exist around it, typed exactly, then its statements.
 */
function withAppAround(block: string): string {
  const lines = block.split('\n');
  return [
    ...lines.filter((line) => line.startsWith('import ')),
    "import type expressTypes from 'express';",
    "import type { PassportStatic } from 'passport';",
    "import type { VerifyPushStrategy } from 'passport-twilio-verify-push';",
    'declare const app: expressTypes.Express;',
    'declare const passport: PassportStatic;',
    'declare const push: VerifyPushStrategy;',
    ...lines.filter((line) => !line.startsWith('import ')),
  ].join('\n');
}

function checkedFiles(): CheckedFile[] {
  return [
    { file: 'quick-start/my-app.ts', blocks: [], source: MY_APP },
    { file: 'quick-start/app.ts', blocks: ['quick-start'], source: readmeBlock('quick-start') },
    {
      file: 'custom-callback.ts',
      blocks: ['custom-callback'],
      source: [
        "import type express from 'express';",
        "import passport from 'passport';",
        'declare const app: express.Express;',
        readmeBlock('custom-callback'),
      ].join('\n'),
    },
    {
      // One module of the device app: the number-matching check uses the silent-approval sample's type.
      file: 'device-checks.ts',
      blocks: ['device-silent', 'device-match'],
      source: `${readmeBlock('device-silent')}\n${readmeBlock('device-match')}`,
    },
    ...['ask-again', 'enrolment', 'step-up', 'approve-action', 'remembered'].map((name) => ({
      file: `${name}.ts`,
      blocks: [name],
      source: withAppAround(readmeBlock(name)),
    })),
    { file: 'typescript.ts', blocks: ['typescript'], source: readmeBlock('typescript') },
    { file: 'emulator.test.ts', blocks: ['emulator'], source: readmeBlock('emulator') },
    { file: 'emulator-app/my-app.ts', blocks: [], source: MY_APP_FACTORY },
    { file: 'emulator-app/app.test.ts', blocks: ['emulator-app'], source: readmeBlock('emulator-app') },
    { file: 'emulator-process.test.ts', blocks: ['emulator-process'], source: readmeBlock('emulator-process') },
    { file: 'several-instances/my-app.ts', blocks: [], source: MY_APP },
    { file: 'several-instances/app.ts', blocks: ['several-instances'], source: readmeBlock('several-instances') },
    { file: 'redis-ioredis.ts', blocks: ['redis-ioredis'], source: readmeBlock('redis-ioredis') },
  ];
}

interface TscResult {
  exitCode: number;
  output: string;
}

function runTsc(args: string[]): Promise<TscResult> {
  return new Promise((resolve) => {
    execFile(join(repoRoot, 'node_modules/.bin/tsc'), args, { cwd: repoRoot, timeout: 120_000 }, (error, stdout, stderr) => {
      // A timeout or signal leaves no numeric code: count it as a failure, never as a pass.
      const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ exitCode, output: `${stdout}${stderr}` });
    });
  });
}

/** tsc prints forward slashes on every platform. */
const slashes = (path: string) => path.replaceAll('\\', '/');

it('type-checks every marked block, none left out', () => {
  const checked = checkedFiles().flatMap((f) => f.blocks);
  expect([...checked].sort()).toEqual([...readmeBlocks().keys()].sort());
});

it('compiles every README sample with strict tsc, importing the built package by its name', { timeout: 120_000 }, async () => {
  const checked = checkedFiles();
  const files = checked.map((f) => writeGenerated(`${FOLDER}/${f.file}`, f.source));
  const tsconfig = writeGenerated(
    `${FOLDER}/tsconfig.json`,
    JSON.stringify(
      {
        // The repo's own settings (strict, NodeNext, noUncheckedIndexedAccess), as a strict user would have.
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true },
        include: checked.map((f) => f.file),
      },
      null,
      2,
    ),
  );

  const result = await runTsc(['-p', tsconfig, '--pretty', 'false', '--listFiles']);
  // --listFiles prints one compiled file a line; diagnostics are every other line.
  const lines = result.output.split('\n').filter((line) => line.trim() !== '');
  const isListedFile = (line: string) => /^\S.*\.[cm]?tsx?$/.test(line) && !line.includes(': error TS');
  const diagnostics = lines.filter((line) => !isListedFile(line)).join('\n');
  expect(result.exitCode, `tsc found errors in the README samples:\n${diagnostics}`).toBe(0);

  // Guard against a check that passes by compiling nothing: every sample was compiled, and the package
  // resolved by name through its exports map to the built declarations, as in a user's app.
  const compiled = lines.filter(isListedFile).map((line) => line.trim());
  for (const file of files) expect(compiled).toContain(slashes(file));
  expect(compiled).toContain(slashes(join(repoRoot, 'dist/index.d.ts')));
  expect(compiled).toContain(slashes(join(repoRoot, 'dist/testing/index.d.ts')));
});
