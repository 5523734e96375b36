import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { killEmulatorBins, startEmulatorBin } from '../helpers/emulator-bin.js';
import { MY_APP_FACTORY, readmeBlock, repoRoot, writeGenerated } from './readme-blocks.js';

const run = promisify(execFile);

afterEach(killEmulatorBins);

/**
 * Runs a README sample as a user would: a vitest file in a folder of its own (with the files it imports),
 * in a separate vitest run that imports the built package by name. Resolves with the run's output.
 */
async function runSampleTest(folder: string, files: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const written = Object.entries(files).map(([name, source]) => writeGenerated(`readme/${folder}/${name}`, source));
  const config = writeGenerated(`readme/${folder}/vitest.config.mjs`, "export default { test: { include: ['*.test.ts'] } };\n");
  const args = ['run', '--root', dirname(written[0]!), '--config', config];
  const { stdout } = await run(join(repoRoot, 'node_modules/.bin/vitest'), args, {
    cwd: repoRoot,
    env: { ...process.env, ...env, NO_COLOR: '1', CI: '1' },
    timeout: 60_000,
  });
  return stdout;
}

it('runs the README "Testing your app with the emulator" sample as a user would: a vitest file', async () => {
  const stdout = await runSampleTest('emulator', { 'emulator.test.ts': readmeBlock('emulator') });
  expect(stdout).toMatch(/Tests\s+1 passed \(1\)/);
});

it('runs the README "Your own app in a test" sample: identity, webhook, ephemeral port, a full login', async () => {
  const stdout = await runSampleTest('emulator-app', { 'app.test.ts': readmeBlock('emulator-app'), 'my-app.ts': MY_APP_FACTORY });
  expect(stdout).toMatch(/Tests\s+1 passed \(1\)/);
});

it('runs the README "An emulator in another process" sample against the emulator server started by its bin', async () => {
  const emulator = await startEmulatorBin(['--service']);
  const stdout = await runSampleTest(
    'emulator-process',
    { 'process.test.ts': readmeBlock('emulator-process') },
    { VERIFY_PUSH_EMULATOR: JSON.stringify(emulator.info) },
  );
  expect(stdout).toMatch(/Tests\s+1 passed \(1\)/);
  emulator.child.kill('SIGTERM');
  expect(await emulator.exited).toEqual({ code: 0, signal: null });
});
