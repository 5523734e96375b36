/**
 * `passport-twilio-verify-push/redis`: the challenge store for several app instances, on the app's own Redis
 * client (node-redis v5+ or ioredis v5+, single or cluster). No Redis package is a dependency of this one.
 */
export { RedisChallengeStore, type RedisChallengeStoreOptions } from './store.js';
