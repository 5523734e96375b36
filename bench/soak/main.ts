/**
 * `npm run soak`: many logins across three app instances sharing a redis-server, with Twilio, webhook, Redis
 * and instance faults overlapping; prints the table and exits non-zero on any violation.
 */
import { parseSoakArgs, USAGE, type SoakOptions } from './options.js';
import { runSoak } from './run.js';
import { renderTable } from './table.js';

let options: SoakOptions | undefined;
try {
  options = parseSoakArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}
if (options === undefined) {
  process.stdout.write(USAGE);
} else {
  const quiet = options.quiet;
  const run = await runSoak(options, (line) => {
    if (!quiet) console.log(line);
  });
  const header = `${options.logins} logins, ${options.users} users, 3 instances, seed ${options.seed}, Twilio fault rate ${options.faultRate}`;
  console.log(renderTable(run.summary, run.checks, run.durationMs, header));
  process.exitCode = run.violations === 0 ? 0 : 1;
}
