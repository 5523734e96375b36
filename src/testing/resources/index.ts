import type { Route } from '../http-router.js';
import { accessTokenRoutes } from './access-tokens.js';
import { challengeRoutes } from './challenges.js';
import { entityRoutes } from './entities.js';
import { factorRoutes } from './factors.js';
import { notificationRoutes } from './notifications.js';
import { serviceRoutes } from './services.js';
import { webhookRoutes } from './webhooks.js';

/** Every Verify v2 route the emulator serves. */
export const allRoutes: readonly Route[] = [
  ...serviceRoutes,
  ...accessTokenRoutes,
  ...entityRoutes,
  ...factorRoutes,
  ...challengeRoutes,
  ...notificationRoutes,
  ...webhookRoutes,
];
