/**
 * The emulator server as a user starts it (`npx passport-twilio-verify-push-emulator`): the built `bin` in a
 * child process, with the JSON line it prints parsed. Children still running are killed by `killEmulatorBins`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EmulatorServerInfo } from '../../src/testing/index.js';
import { PACKAGE_ROOT } from '../package/package-paths.js';

export const EMULATOR_BIN = 'passport-twilio-verify-push-emulator';

/** The file package.json's `bin` names for the emulator server. */
export function emulatorBinPath(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  const target = pkg.bin?.[EMULATOR_BIN];
  if (target === undefined) throw new Error(`package.json has no bin "${EMULATOR_BIN}"`);
  return join(PACKAGE_ROOT, target);
}

export interface EmulatorBin {
  child: ChildProcess;
  info: EmulatorServerInfo;
  /** Everything written to stderr so far (the readable copy). */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];

/** Starts the built bin and resolves with the first line of its stdout, parsed. */
export function startEmulatorBin(args: string[] = []): Promise<EmulatorBin> {
  const env = { ...process.env };
  delete env['NODE_OPTIONS']; // no loader from the test runner: the built file must run on its own
  const child = spawn(emulatorBinPath(), args, { cwd: PACKAGE_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => {
      try {
        resolve({ child, info: JSON.parse(line) as EmulatorServerInfo, stderr: () => stderr, exited });
      } catch (error) {
        reject(error);
      }
    });
    void exited.then(({ code }) => reject(new Error(`the emulator exited (${code}) before printing:\n${stderr}`)));
    child.once('error', reject);
  });
}

/** Kills every emulator bin a test left running (a failed assertion skips the test's own stop). */
export function killEmulatorBins(): void {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
