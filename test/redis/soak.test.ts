/**
 * The soak's short form (bench/soak, `npm run soak` for the long one): 150 logins of 30 users across three
 * app instances in child processes sharing a redis-server, with Twilio faults on a fifth of the app's calls,
 * webhooks dropped, doubled and late, Redis stopped once and restarted once, and one instance killed; every
 * invariant checked on every login. Any violation fails the test, with the soak's table and each violation.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../bench/soak/options.js';
import { runSoak } from '../../bench/soak/run.js';
import { renderTable } from '../../bench/soak/table.js';
import { redisAvailable } from '../helpers/redis-available.js';

describe.skipIf(!redisAvailable())('soak, short form', () => {
  it('150 logins under overlapping faults keep every promise', { timeout: 240_000 }, async () => {
    const options = { ...DEFAULTS, logins: 150, users: 30, concurrency: 30, seed: 11, quiet: true };
    const run = await runSoak(options);
    const table = renderTable(run.summary, run.checks, run.durationMs, `short form, seed ${options.seed}`);
    expect(run.violations, table).toBe(0);
    // The run did what it is for: logins went through, and every kind of fault happened.
    expect(run.summary.logins).toBeGreaterThan(options.logins / 3);
    expect(run.summary.infrastructure).toHaveLength(3);
    expect(run.summary.twilioFaults.size).toBeGreaterThan(4);
  });
});
