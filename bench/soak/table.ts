/**
 * The soak's report: what happened (logins, phones, faults by kind), each invariant with how much it checked
 * and how many violations it found (each violation printed in full below the table), and one last line:
 * `soak: N logins, 0 violations`, or the count of violations.
 */
import type { CheckResult } from './checks/evidence.js';
import type { SoakSummary } from './summary.js';

function row(label: string, value: string): string {
  return `  ${label.padEnd(34)} ${value}`;
}

export function renderTable(summary: SoakSummary, checks: readonly CheckResult[], durationMs: number, header: string): string {
  const lines: string[] = [];
  const faults = [...summary.twilioFaults].sort((a, b) => b[1] - a[1]);
  const faulted = faults.reduce((sum, [, count]) => sum + count, 0);
  const { webhooks } = summary;
  lines.push(`soak: ${header}, ${(durationMs / 1000).toFixed(0)} s`);
  lines.push(row('login attempts', String(summary.attempts)));
  lines.push(row('  logged in', String(summary.logins)));
  lines.push(row('  failed with a code', String(summary.failures)));
  lines.push(row('  stuck', String(summary.stuck)));
  lines.push(row('phones: approvals', `${summary.approvals} (${summary.silentApprovals} silent, by transaction id)`));
  lines.push(row('phones: denials', String(summary.denials)));
  lines.push(row('phones: ignored (expiries)', `${summary.ignored} ignored, ${summary.expiries} logins ended CHALLENGE_EXPIRED`));
  lines.push(row('phones: could not answer', String(summary.phoneErrors)));
  lines.push(row('Twilio calls by the app', `${summary.twilioCalls}, ${faulted} faulted (${summary.twilioCalls ? ((100 * faulted) / summary.twilioCalls).toFixed(1) : '0'} %)`));
  lines.push(row('  faults by kind', faults.map(([kind, count]) => `${kind} ${count}`).join(', ') || 'none'));
  lines.push(
    row(
      'webhooks',
      `${webhooks.events} events: ${webhooks.dropped} dropped, ${webhooks.duplicated} duplicated, ${webhooks.late} late, ${webhooks.retried} retries, ${webhooks.failed} attempts failed`,
    ),
  );
  lines.push(row('  at the load balancer', `${webhooks.failovers} passed to another instance, ${webhooks.cut} cut by a dying instance`));
  lines.push(row('infrastructure faults', summary.infrastructure.join('; ') || 'none'));
  lines.push('');
  lines.push(`  ${'invariant'.padEnd(66)} ${'checked'.padStart(8)} ${'violations'.padStart(10)}`);
  for (const check of checks) {
    lines.push(`  ${check.name.padEnd(66)} ${String(check.checked).padStart(8)} ${String(check.violations.length).padStart(10)}`);
  }
  lines.push('');
  for (const check of checks) for (const note of check.notes) lines.push(`  · ${note}`);
  const violations = checks.reduce((sum, check) => sum + check.violations.length, 0);
  if (violations > 0) {
    lines.push('');
    for (const check of checks) {
      if (check.violations.length === 0) continue;
      lines.push(`  ${check.name}:`);
      for (const violation of check.violations) lines.push(`    - ${violation}`);
    }
  }
  lines.push('');
  lines.push(`soak: ${summary.attempts} logins, ${violations} violation${violations === 1 ? '' : 's'}`);
  return lines.join('\n');
}
