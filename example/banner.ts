/** What `npm start` prints once the example is ready: where to go, and how to log in. */
export interface BannerInput {
  url: string;
  mode: 'emulator' | 'twilio';
  /** Emulator mode. */
  emulatorUrl?: string;
  /** Real Twilio mode. */
  publicUrl?: string;
  /** Cluster mode: worker processes, and where Redis is (host only: the URL may hold a password). */
  cluster?: { workers: number; redisHost: string };
  /** REDIS_URL without CLUSTER: one process, Redis stores. */
  redisHost?: string;
}

export function printBanner(input: BannerInput): void {
  const local = input.url.replace('127.0.0.1', 'localhost');
  const mode = input.mode === 'emulator' ? 'embedded emulator, no Twilio account needed' : 'real Twilio';
  console.log(`\nVerify Push example (${mode})\n`);
  console.log(`  App:               ${local}/`);
  if (input.mode === 'emulator') {
    console.log(`  Device simulator:  ${local}/device   (open it in a second tab: it plays the phone)`);
    console.log(`  Emulator:          ${input.emulatorUrl ?? ''}`);
  } else {
    console.log(`  Public URL:        ${input.publicUrl ?? ''}  (Twilio's webhook goes there)`);
  }
  if (input.cluster) {
    console.log(`  Cluster:           ${input.cluster.workers} worker processes on one port, sessions and logins in Redis at ${input.cluster.redisHost}`);
    console.log('                     Every answer names its worker (X-Worker header, page footer, log lines below).');
  } else if (input.redisHost) {
    console.log(`  Redis:             sessions and logins at ${input.redisHost}`);
  }
  console.log(
    input.mode === 'emulator'
      ? '\n  Log in as alice / correct-horse (phone enrolled) or bob / battery-staple (enrols on first login).'
      : '\n  Log in as alice / correct-horse or bob / battery-staple, then enrol your phone on the page that follows.',
  );
  console.log('  Ctrl+C to stop.\n');
}

/** The device simulator approves for anyone who can reach it, and the demo passwords are public. */
export function warnIfExposed(host: string, twilioMode: boolean): void {
  if (twilioMode || ['127.0.0.1', 'localhost', '::1'].includes(host)) return;
  console.warn(`Warning: HOST=${host} exposes the demo users and the device simulator to your network.`);
}

/** Host and port of a Redis URL, never its password. */
export function redisHost(redisUrl: string): string {
  return new URL(redisUrl).host;
}
