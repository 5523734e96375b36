/**
 * Whether the Redis tests can run, and what happens when they cannot: without redis-server they skip with a
 * loud warning, unless REQUIRE_REDIS=1 (CI), where a missing server is a failure. (The benchmarks and the soak
 * do not skip: startRedis() fails loudly for them.)
 */
import { REDIS_SERVER, redisServerVersion } from './redis-server.js';

const REQUIRED = process.env.REQUIRE_REDIS === '1';

let available: boolean | undefined;

/** True when redis-server can be started; throws when the tests must run and it cannot. */
export function redisAvailable(): boolean {
  if (available !== undefined) return available;
  available = redisServerVersion() !== undefined;
  if (available) return true;
  if (REQUIRED) {
    throw new Error(`REQUIRE_REDIS=1 but "${REDIS_SERVER} --version" failed (install the "redis-server" package or set REDIS_SERVER_PATH).`);
  }
  console.warn(
    `\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n` +
      `!! REDIS TESTS SKIPPED: no redis-server on PATH.\n` +
      `!! Install it (apt-get install redis-server) or set REDIS_SERVER_PATH; CI sets REQUIRE_REDIS=1.\n` +
      `!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`,
  );
  return false;
}
