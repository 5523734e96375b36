#!/usr/bin/env node
/**
 * `npx passport-twilio-verify-push-emulator`: the emulator as a process of its own, for tests split over
 * several processes and for backends not written for Node. stdout carries one JSON line (the connection, for
 * programs); stderr carries the same for people, so `… > emulator.json` keeps the file machine-readable.
 */
import { CliUsageError, parseCliArgs, USAGE } from './cli-args.js';
import { VerifyPushEmulator } from './emulator.js';
import type { EmulatorServerInfo } from './types.js';

function describe(info: EmulatorServerInfo): string {
  return [
    `Verify Push emulator listening on ${info.url}`,
    `  account SID   ${info.accountSid}`,
    `  auth token    ${info.authToken}`,
    ...(info.serviceSid === undefined ? [] : [`  service SID   ${info.serviceSid}`]),
    'Ctrl+C stops it.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const settings = parseCliArgs(process.argv.slice(2));
  if (settings.help) {
    process.stdout.write(USAGE);
    return;
  }
  const emulator = await VerifyPushEmulator.start({
    port: settings.port,
    webhookBody: settings.webhookBody,
    ...(settings.accountSid === undefined ? {} : { accountSid: settings.accountSid }),
    ...(settings.authToken === undefined ? {} : { authToken: settings.authToken }),
  });
  const stop = (): void => {
    // Ending every connection and timer lets the process exit by itself, with status 0.
    void emulator.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const info: EmulatorServerInfo = { url: emulator.url, accountSid: emulator.accountSid, authToken: emulator.authToken };
    if (settings.serviceName !== undefined) info.serviceSid = await emulator.createService(settings.serviceName);
    process.stdout.write(`${JSON.stringify(info)}\n`);
    process.stderr.write(describe(info));
  } catch (error) {
    await emulator.close();
    throw error;
  }
}

main().catch((error: unknown) => {
  const usage = error instanceof CliUsageError;
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage ? `\n${USAGE}` : ''}`);
  process.exitCode = usage ? 2 : 1;
});
