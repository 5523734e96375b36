import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { readmeBlock, repoRoot, writeGenerated } from './readme-blocks.js';

const run = promisify(execFile);

it('runs the README "Testing your app with the emulator" sample as a user would: a vitest file', async () => {
  const file = writeGenerated('readme/emulator/emulator.test.ts', readmeBlock('emulator'));
  const config = writeGenerated('readme/emulator/vitest.config.mjs', "export default { test: { include: ['*.test.ts'] } };\n");
  // A separate vitest run rooted in the generated folder, importing the built package by name.
  const args = ['run', '--root', dirname(file), '--config', config];
  const { stdout } = await run(join(repoRoot, 'node_modules/.bin/vitest'), args, {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
    timeout: 60_000,
  });
  expect(stdout).toMatch(/Tests\s+1 passed \(1\)/);
});
