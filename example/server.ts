/**
 * `npm start`: serves the example on http://localhost:3000 (PORT to change it).
 * Emulator mode by default; real Twilio mode when the TWILIO_* variables are set (see twilio-mode.ts).
 * NUMBER_MATCHING=1 turns on number matching.
 */
import { createExampleApp } from './app.js';
import { twilioModeFromEnv } from './twilio-mode.js';

async function main(): Promise<void> {
  const twilio = twilioModeFromEnv();
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be a port number.');
  const host = process.env.HOST ?? '127.0.0.1';
  if (!twilio && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
    // The device simulator approves for anyone who can reach it, and the demo passwords are public.
    console.warn(`Warning: HOST=${host} exposes the demo users and the device simulator to your network.`);
  }
  const example = await createExampleApp({
    port,
    host,
    numberMatching: process.env.NUMBER_MATCHING === '1' || process.env.NUMBER_MATCHING === 'true',
    ...(twilio ? { twilio } : {}),
    ...(process.env.SESSION_SECRET ? { sessionSecret: process.env.SESSION_SECRET } : {}),
  });
  const local = example.url.replace('127.0.0.1', 'localhost');
  console.log(`\nVerify Push example (${example.mode === 'emulator' ? 'embedded emulator, no Twilio account needed' : 'real Twilio'})\n`);
  console.log(`  App:               ${local}/`);
  if (example.mode === 'emulator') {
    console.log(`  Device simulator:  ${local}/device   (open it in a second tab: it plays the phone)`);
    console.log(`  Emulator:          ${example.emulator?.url ?? ''}`);
  } else {
    console.log(`  Public URL:        ${twilio?.publicUrl ?? ''}  (Twilio's webhook goes there)`);
  }
  console.log(
    example.mode === 'emulator'
      ? '\n  Log in as alice / correct-horse (phone enrolled) or bob / battery-staple (enrols on first login).'
      : '\n  Log in as alice / correct-horse or bob / battery-staple, then enrol your phone on the page that follows.',
  );
  console.log('  Ctrl+C to stop.\n');

  const stop = (): void => {
    example.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
