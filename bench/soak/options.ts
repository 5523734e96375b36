/**
 * What a soak run is asked to do: counts, seed, fault rates and the phone's mix, from the command line
 * (`npm run soak -- --logins 300 --seed 7`), with defaults that make the long form.
 */
import { parseArgs } from 'node:util';

export interface PhoneMix {
  /** The user taps Approve on the newest pending request. */
  approve: number;
  /** The app on the phone approves the challenge carrying the login's transaction id. */
  silent: number;
  deny: number;
  /** Nobody answers: the challenge expires. */
  ignore: number;
}

export interface SoakOptions {
  logins: number;
  users: number;
  /** Browsers logging in at the same time (at most one per user). */
  concurrency: number;
  seed: number;
  /** Share of the app's Twilio calls that meet a fault. */
  faultRate: number;
  webhookDropRate: number;
  webhookDuplicateRate: number;
  /** Share of delivered webhooks held back by the proxy in front of the instances. */
  webhookLateRate: number;
  webhookLateMaxMs: number;
  phone: PhoneMix;
  /** Share of logins whose user presses "send it again" (1 to 4 times: past the allowance of 2 on purpose). */
  resendRate: number;
  /** Share of logins whose completion is asked from two tabs at once. */
  twoTabsRate: number;
  expiresInSeconds: number;
  /** How long past its expiry a login may take to end: the strategy's completion grace. */
  graceMs: number;
  /** How long Redis stays stopped (SIGSTOP) once; 0 for never. */
  redisPauseMs: number;
  redisRestart: boolean;
  instanceKill: boolean;
  /** How long the killed instance stays down before it is started again. */
  instanceDownMs: number;
  /** No progress lines, only the table. */
  quiet: boolean;
}

export const DEFAULTS: SoakOptions = {
  logins: 1000,
  users: 50,
  concurrency: 40,
  seed: 1,
  faultRate: 0.2,
  webhookDropRate: 0.2,
  webhookDuplicateRate: 0.1,
  webhookLateRate: 0.1,
  webhookLateMaxMs: 8000,
  phone: { approve: 0.7, silent: 0.1, deny: 0.1, ignore: 0.1 },
  resendRate: 0.1,
  twoTabsRate: 0.15,
  expiresInSeconds: 30,
  graceMs: 60_000,
  redisPauseMs: 4000,
  redisRestart: true,
  instanceKill: true,
  instanceDownMs: 5000,
  quiet: false,
};

export const USAGE = `npm run soak -- [options]

  --logins <n>            logins in the run (default ${DEFAULTS.logins})
  --users <n>             users sharing them (default ${DEFAULTS.users})
  --concurrency <n>       browsers at once, at most one per user (default ${DEFAULTS.concurrency})
  --seed <n>              seed of every random choice (default ${DEFAULTS.seed})
  --fault-rate <0-1>      share of the app's Twilio calls that fail (default ${DEFAULTS.faultRate})
  --webhook-drop <0-1>    share of webhooks never sent (default ${DEFAULTS.webhookDropRate})
  --webhook-duplicate <0-1>  share sent twice (default ${DEFAULTS.webhookDuplicateRate})
  --webhook-late <0-1>    share held back up to --webhook-late-ms (default ${DEFAULTS.webhookLateRate}, ${DEFAULTS.webhookLateMaxMs} ms)
  --deny <0-1> --ignore <0-1> --silent <0-1>   the phones' mix; the rest approve (default 0.1 each)
  --resend <0-1>          share of logins pressing "send it again" (default ${DEFAULTS.resendRate})
  --two-tabs <0-1>        share of logins completed from two tabs at once (default ${DEFAULTS.twoTabsRate})
  --expires <s>           challenge expiry, 30-600 (default ${DEFAULTS.expiresInSeconds})
  --redis-pause-ms <ms>   Redis stopped once this long, 0 for never (default ${DEFAULTS.redisPauseMs})
  --no-redis-restart      do not restart Redis mid-run
  --no-instance-kill      do not kill an instance mid-run
  --quiet                 only the table
  -h, --help
`;

function share(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!(number >= 0 && number <= 1)) throw new Error(`--${name} must be a number from 0 to 1`);
  return number;
}

function whole(name: string, value: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!(Number.isInteger(number) && number >= min && number <= max)) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
  return number;
}

/** The options, or undefined when help was asked for. Throws with a sentence on a bad value. */
export function parseSoakArgs(argv: string[]): SoakOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      logins: { type: 'string' },
      users: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      'fault-rate': { type: 'string' },
      'webhook-drop': { type: 'string' },
      'webhook-duplicate': { type: 'string' },
      'webhook-late': { type: 'string' },
      'webhook-late-ms': { type: 'string' },
      deny: { type: 'string' },
      ignore: { type: 'string' },
      silent: { type: 'string' },
      resend: { type: 'string' },
      'two-tabs': { type: 'string' },
      expires: { type: 'string' },
      'redis-pause-ms': { type: 'string' },
      'no-redis-restart': { type: 'boolean' },
      'no-instance-kill': { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
  });
  if (values.help) return undefined;
  const deny = share('deny', values.deny, DEFAULTS.phone.deny);
  const ignore = share('ignore', values.ignore, DEFAULTS.phone.ignore);
  const silent = share('silent', values.silent, DEFAULTS.phone.silent);
  if (deny + ignore + silent > 1) throw new Error('--deny, --ignore and --silent must add up to at most 1');
  return {
    ...DEFAULTS,
    logins: whole('logins', values.logins, DEFAULTS.logins, 1),
    users: whole('users', values.users, DEFAULTS.users, 1, 10_000),
    concurrency: whole('concurrency', values.concurrency, DEFAULTS.concurrency, 1, 1000),
    seed: whole('seed', values.seed, DEFAULTS.seed, 0, 2 ** 32 - 1),
    faultRate: share('fault-rate', values['fault-rate'], DEFAULTS.faultRate),
    webhookDropRate: share('webhook-drop', values['webhook-drop'], DEFAULTS.webhookDropRate),
    webhookDuplicateRate: share('webhook-duplicate', values['webhook-duplicate'], DEFAULTS.webhookDuplicateRate),
    webhookLateRate: share('webhook-late', values['webhook-late'], DEFAULTS.webhookLateRate),
    webhookLateMaxMs: whole('webhook-late-ms', values['webhook-late-ms'], DEFAULTS.webhookLateMaxMs, 0, 14_000),
    phone: { approve: 1 - deny - ignore - silent, silent, deny, ignore },
    resendRate: share('resend', values.resend, DEFAULTS.resendRate),
    twoTabsRate: share('two-tabs', values['two-tabs'], DEFAULTS.twoTabsRate),
    expiresInSeconds: whole('expires', values.expires, DEFAULTS.expiresInSeconds, 30, 600),
    redisPauseMs: whole('redis-pause-ms', values['redis-pause-ms'], DEFAULTS.redisPauseMs, 0, 60_000),
    redisRestart: !values['no-redis-restart'],
    instanceKill: !values['no-instance-kill'],
    quiet: values.quiet ?? false,
  };
}
