/** What the soak and its app instances (child processes) say to each other: plain JSON both ways. */
import type { SoakDeployment } from './deployment.js';

export interface InstanceUser {
  id: string;
  name: string;
}

export interface InstanceConfig {
  name: string;
  /** Fixed, so a restarted instance comes back where the browsers and the webhook proxy expect it. */
  port: number;
  redisUrl: string;
  /** Prefix of challenge keys; sessions live under `<prefix>sess:`. */
  prefix: string;
  emulator: { url: string; accountSid: string; authToken: string };
  serviceSid: string;
  identitySecret: string;
  sessionSecret: string;
  /** The public URL Twilio posts to (the proxy in front of the instances), which the signature covers. */
  webhookUrl: string;
  users: InstanceUser[];
  deployment: SoakDeployment;
}

/** The approval was consumed and the verify callback ran (the login itself may still fail). */
export interface VerifiedEvent {
  type: 'verified';
  instance: string;
  attempt: string | undefined;
  user: string;
  identity: string;
  challengeSid: string;
  transactionId: string;
  at: number;
}

/** Passport's logIn finished: the session is logged in. */
export interface LoginEvent {
  type: 'login';
  instance: string;
  attempt: string | undefined;
  user: string;
  challengeSid: string | undefined;
  at: number;
}

export interface DeniedEvent {
  type: 'denied';
  instance: string;
  /** Absent when the webhook recorded the denial (no browser asked). */
  attempt: string | undefined;
  identity: string;
  count: number;
  limit: number;
  at: number;
}

export type InstanceEvent = VerifiedEvent | LoginEvent | DeniedEvent;

export interface InstanceStats {
  name: string;
  pid: number;
  /** RedisChallengeStore.stats(): challenges watched by waiting pages here, and their listeners. */
  watched: { watchedChallenges: number; listeners: number };
  /** Connections open on the app's HTTP server. */
  connections: number;
  /** process.getActiveResourcesInfo(), counted by kind (Timeout, TCPSocketWrap, …). */
  resources: Record<string, number>;
}

export type ParentMessage = { type: 'stats'; id: number } | { type: 'close' };

export type ChildMessage =
  | { type: 'ready'; url: string; pid: number }
  | { type: 'event'; event: InstanceEvent }
  | { type: 'stats'; id: number; stats: InstanceStats };
