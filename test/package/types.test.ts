/**
 * The published type declarations as a TypeScript consumer sees them under `module: nodenext`: an ES module
 * (`.mts`, resolved through the `import` condition to `.d.ts`) and a CommonJS module (`.cts`, resolved through
 * `require` to `.d.cts`). The consumer project lives in a temporary folder and reaches this package through a
 * `node_modules` link, exactly as an installed dependency. It is as strict as an app can be and checks every
 * declaration file it loads (`skipLibCheck: false`), so nothing this package brings in may fail to compile.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, assertBuilt } from './package-paths.js';

const execFileAsync = promisify(execFile);
const NAME = 'passport-twilio-verify-push';
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Uses every public name with its intended type, so a missing or mistyped export is a compile error. */
function consumerSource(kind: 'esm' | 'cjs'): string {
  return `
import { Strategy, VerifyPushError, VerifyPushStrategy, isVerifyPushError, type VerifyPushErrorCode } from '${NAME}';
import { VerifyPushEmulator, emulatorClient, emulatorDevice, type SimulatedDevice } from '${NAME}/testing';

const code: VerifyPushErrorCode = 'CHALLENGE_EXPIRED';
const error: unknown = new VerifyPushError(code, 'expired');
if (isVerifyPushError(error)) {
  const narrowed: VerifyPushErrorCode = error.code;
  const status: number = error.status;
  void narrowed;
  void status;
}
const sameClass: typeof VerifyPushStrategy = Strategy;
void sameClass;

export async function startEmulator(): Promise<string> {
  const emulator = await VerifyPushEmulator.start({ port: 0 });
  const url: string = emulator.url;
  // The emulator's client is the real twilio client, typed down to its Verify resources…
  const client = emulator.client({ timeout: 1000 });
  const service = await client.verify.v2.services.create({ friendlyName: 'types' });
  const hook = await client.verify.v2.services(service.sid).webhooks.create({
    friendlyName: 'app',
    eventTypes: ['challenge.approved'],
    webhookUrl: 'https://example.test/hook',
  });
  const hookSid: string = hook.sid;
  void hookSid;
  // …and the strategy takes it as its client.
  const strategy = new VerifyPushStrategy({ client, serviceSid: service.sid, identitySecret: 'x'.repeat(32) });
  const identity: string = await strategy.identityOf({ id: 'u-1' });
  // An emulator in another process is reached from its URL and credentials.
  const remote = emulatorClient({ url, accountSid: emulator.accountSid, authToken: emulator.authToken });
  const device: SimulatedDevice = emulatorDevice(emulator);
  await device.register({ serviceSid: service.sid, identity });
  void remote.verify.v2.services.list();
  await emulator.close();
  return url;
}

// @ts-expect-error deep imports are not part of the exports map (${kind})
import('${NAME}/dist/index.js');
`;
}

let consumerDir = '';

beforeAll(async () => {
  consumerDir = await mkdtemp(join(tmpdir(), 'verify-push-types-'));
  await mkdir(join(consumerDir, 'node_modules'));
  // A link, as npm would install it; TypeScript follows it to the real folder, so the package's own
  // dependencies (express, passport, twilio types) resolve from its node_modules.
  await symlink(PACKAGE_ROOT, join(consumerDir, 'node_modules', NAME), 'junction');
  await writeFile(join(consumerDir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await writeFile(join(consumerDir, 'esm-consumer.mts'), consumerSource('esm'));
  await writeFile(join(consumerDir, 'cjs-consumer.cts'), consumerSource('cjs'));
  await writeFile(
    join(consumerDir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        noImplicitOverride: true,
        noEmit: true,
        // Every declaration file the consumer loads is checked: ours, and whatever ours pull in.
        skipLibCheck: false,
        typeRoots: [join(PACKAGE_ROOT, 'node_modules', '@types')],
        types: ['node'],
      },
      files: ['esm-consumer.mts', 'cjs-consumer.cts'],
    }),
  );
});

afterAll(async () => {
  if (consumerDir) await rm(consumerDir, { recursive: true, force: true });
});

function runTsc(args: string[]): Promise<{ ok: boolean; output: string }> {
  // Each test fails (rather than being skipped) with a clear instruction when the build is missing.
  assertBuilt();
  return execFileAsync(process.execPath, [TSC, ...args, '--pretty', 'false'], { cwd: consumerDir }).then(
    ({ stdout }) => ({ ok: true, output: stdout }),
    (error: { stdout?: string; stderr?: string }) => ({ ok: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
  );
}

describe('published types', () => {
  it('type-check an ESM and a CJS consumer under module nodenext', { timeout: 120_000 }, async () => {
    const result = await runTsc(['-p', consumerDir]);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('resolve to the ESM declarations for import and the CJS ones for require', { timeout: 120_000 }, async () => {
    const result = await runTsc(['-p', consumerDir, '--listFilesOnly']);
    expect(result.ok).toBe(true);
    const files = result.output.split(/\r?\n/).map((file) => file.replace(/\\/g, '/'));
    for (const declaration of ['dist/index.d.ts', 'dist/index.d.cts', 'dist/testing/index.d.ts', 'dist/testing/index.d.cts']) {
      expect(files.some((file) => file.endsWith(`/${declaration}`)), declaration).toBe(true);
    }
  });

  it("never load twilio's root declarations, whose JWT helpers import the untyped jsonwebtoken", { timeout: 120_000 }, async () => {
    // The strict check above fails on them (TS7016) only while no @types/jsonwebtoken happens to be installed
    // here; this names the cause directly, so the guarantee holds whatever this repository installs.
    const result = await runTsc(['-p', consumerDir, '--listFilesOnly']);
    expect(result.ok).toBe(true);
    const files = result.output.split(/\r?\n/).map((file) => file.replace(/\\/g, '/'));
    expect(files.filter((file) => /\/twilio\/(index\.d\.ts|lib\/index\.d\.ts|lib\/jwt\/)/.test(file))).toEqual([]);
    // The emulator's client type does come from twilio itself.
    expect(files.some((file) => file.endsWith('/twilio/lib/rest/Twilio.d.ts'))).toBe(true);
  });

  it('reject a consumer that imports a name the package does not export', { timeout: 120_000 }, async () => {
    // Guards the first check: a setup that resolved nothing (everything `any`) would accept any code.
    const badDir = join(consumerDir, 'bad');
    await mkdir(badDir);
    await writeFile(join(badDir, 'bad-consumer.mts'), `import { NotExported } from '${NAME}';\nvoid NotExported;\n`);
    await writeFile(join(badDir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', files: ['bad-consumer.mts'] }));
    const result = await runTsc(['-p', badDir]);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/bad-consumer\.mts.*TS2305/);
  });
});
