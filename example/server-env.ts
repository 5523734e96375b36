/**
 * What `npm start` reads from the environment, checked before anything starts; a mistake stops it with a
 * sentence naming the variable.
 *
 *   PORT, HOST          where the app listens (default 127.0.0.1:3000)
 *   NUMBER_MATCHING=1   show a code on the waiting page that must be typed on the phone
 *   STEP_UP_MAX_AGE=60  seconds: the change-e-mail page asks the phone again once the last push is older
 *   SESSION_SECRET      signs the session cookie (default: random per start)
 *   IDENTITY_SECRET     key of users' Verify identities (default in emulator mode: random per start)
 *   REDIS_URL           redis://… : sessions and challenges in Redis instead of memory
 *   CLUSTER=3           with REDIS_URL: that many worker processes (node:cluster) on one port
 *   TWILIO_*, PUBLIC_URL   real Twilio mode (see twilio-mode.ts)
 */
import { twilioModeFromEnv, type TwilioModeConfig } from './twilio-mode.js';

export interface ServerSettings {
  port: number;
  host: string;
  numberMatching: boolean;
  /** STEP_UP_MAX_AGE, when set. */
  stepUpMaxAgeSeconds?: number;
  twilio?: TwilioModeConfig;
  sessionSecret?: string;
  identitySecret?: string;
  redisUrl?: string;
  /** Worker processes (CLUSTER); set only together with redisUrl and both secrets. */
  workers?: number;
}

const MAX_WORKERS = 16;
const MIN_SECRET_LENGTH = 32;

/** Why each secret must be the same in every worker, for the message when one is missing. */
const SHARED_SECRETS = {
  SESSION_SECRET: 'every worker must accept the session cookie another one signed',
  IDENTITY_SECRET: "every worker must derive the same Verify identity for a user, so it finds the user's phone",
} as const;

function secret(env: NodeJS.ProcessEnv, name: keyof typeof SHARED_SECRETS): string | undefined {
  const value = env[name] ?? '';
  if (value === '') return undefined;
  if (value.length < MIN_SECRET_LENGTH) throw new Error(`${name} must be at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`).`);
  return value;
}

function redisUrlFrom(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.REDIS_URL ?? '';
  if (value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379.');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error('REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379.');
  }
  return value;
}

/** Within Passport's own limits, and long enough to click through a page. */
const STEP_UP_RANGE = { min: 10, max: 86_400 } as const;

function stepUpMaxAgeFrom(env: NodeJS.ProcessEnv): number | undefined {
  const value = env.STEP_UP_MAX_AGE ?? '';
  if (value === '') return undefined;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < STEP_UP_RANGE.min || seconds > STEP_UP_RANGE.max) {
    throw new Error(`STEP_UP_MAX_AGE must be a number of seconds from ${STEP_UP_RANGE.min} to ${STEP_UP_RANGE.max}.`);
  }
  return seconds;
}

function workersFrom(env: NodeJS.ProcessEnv, redisUrl: string | undefined): number | undefined {
  const value = env.CLUSTER ?? '';
  if (value === '') return undefined;
  const workers = Number(value);
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new Error(`CLUSTER must be the number of worker processes, from 1 to ${MAX_WORKERS}.`);
  }
  if (redisUrl === undefined) {
    throw new Error('CLUSTER needs REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379): the workers share sessions and logins in Redis.');
  }
  return workers;
}

export function serverSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be a port number.');
  const redisUrl = redisUrlFrom(env);
  const workers = workersFrom(env, redisUrl);
  if (workers !== undefined) {
    const missing = (Object.keys(SHARED_SECRETS) as Array<keyof typeof SHARED_SECRETS>).filter((name) => (env[name] ?? '') === '');
    if (missing.length > 0) {
      throw new Error(
        `CLUSTER mode needs ${missing.join(' and ')} (${MIN_SECRET_LENGTH}+ characters${missing.length > 1 ? ' each' : ''}, ` +
          'e.g. `openssl rand -hex 32`): ' +
          `${missing.map((name) => SHARED_SECRETS[name]).join('; ')}.`,
      );
    }
  }
  const sessionSecret = secret(env, 'SESSION_SECRET');
  const identitySecret = secret(env, 'IDENTITY_SECRET');
  const twilio = twilioModeFromEnv(env);
  const stepUpMaxAgeSeconds = stepUpMaxAgeFrom(env);
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    numberMatching: env.NUMBER_MATCHING === '1' || env.NUMBER_MATCHING === 'true',
    ...(stepUpMaxAgeSeconds === undefined ? {} : { stepUpMaxAgeSeconds }),
    ...(twilio ? { twilio } : {}),
    ...(sessionSecret ? { sessionSecret } : {}),
    ...(identitySecret ? { identitySecret } : {}),
    ...(redisUrl ? { redisUrl } : {}),
    ...(workers ? { workers } : {}),
  };
}
