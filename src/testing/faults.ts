import type { CallSource, FaultControl, FaultRule, OperationName, WebhookFaultRule } from './types.js';

interface ActiveRule {
  rule: FaultRule;
  /** Hits left; Infinity for probability rules without `times`. */
  remaining: number;
}

export interface WebhookPlan {
  drop: boolean;
  duplicate: boolean;
}

/** What happens to one attempt of a delivery: no connection at all, or the receiver's answer lost on the way back. */
export type WebhookAttemptFault = 'refuseConnection' | 'loseAnswer';

function checkProbability(name: string, value: number | undefined): void {
  if (value !== undefined && !(value >= 0 && value <= 1)) throw new RangeError(`${name} must be between 0 and 1`);
}

/**
 * Faults chosen by tests: the first matching rule with hits left decides a call's fate.
 * Rules are used in the order they were added.
 */
export class FaultInjector implements FaultControl {
  private rules: ActiveRule[] = [];
  private webhookDrops = 0;
  private webhookDuplicates = 0;
  private dropProbability = 0;
  private duplicateProbability = 0;
  private connectionFailures = 0;
  private lostAnswers = 0;
  private retryUuid: 'same' | 'new' = 'same';

  constructor(private readonly random: () => number) {}

  add(rule: FaultRule): void {
    checkProbability('probability', rule.probability);
    if (rule.status !== undefined && !(Number.isInteger(rule.status) && rule.status >= 400 && rule.status <= 599)) {
      throw new RangeError('status must be an HTTP error status (400-599)');
    }
    if (rule.code !== undefined && !(Number.isInteger(rule.code) && rule.code > 0)) throw new RangeError('code must be a positive integer');
    if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
      throw new RangeError('times must be a positive integer');
    }
    const remaining = rule.times ?? (rule.probability === undefined ? 1 : Infinity);
    this.rules.push({ rule: { ...rule }, remaining });
  }

  webhooks(rule: WebhookFaultRule): void {
    checkProbability('dropProbability', rule.dropProbability);
    checkProbability('duplicateProbability', rule.duplicateProbability);
    for (const name of ['drop', 'duplicate', 'connectionFailures', 'lostAnswers'] as const) {
      const count = rule[name];
      if (count !== undefined && !(Number.isInteger(count) && count >= 0)) throw new RangeError(`${name} must be a whole number`);
    }
    if (rule.retryUuid !== undefined && rule.retryUuid !== 'same' && rule.retryUuid !== 'new') throw new RangeError("retryUuid must be 'same' or 'new'");
    this.webhookDrops += rule.drop ?? 0;
    this.webhookDuplicates += rule.duplicate ?? 0;
    this.connectionFailures += rule.connectionFailures ?? 0;
    this.lostAnswers += rule.lostAnswers ?? 0;
    if (rule.retryUuid !== undefined) this.retryUuid = rule.retryUuid;
    if (rule.dropProbability !== undefined) this.dropProbability = rule.dropProbability;
    if (rule.duplicateProbability !== undefined) this.duplicateProbability = rule.duplicateProbability;
  }

  clear(): void {
    this.rules = [];
    this.webhookDrops = 0;
    this.webhookDuplicates = 0;
    this.dropProbability = 0;
    this.duplicateProbability = 0;
    this.connectionFailures = 0;
    this.lostAnswers = 0;
    this.retryUuid = 'same';
  }

  /** The fault for this call, if any; uses up one hit of the rule. */
  pick(operation: OperationName | 'unknown', source: CallSource): FaultRule | undefined {
    for (const active of this.rules) {
      if (active.remaining <= 0) continue;
      if (active.rule.operation !== '*' && active.rule.operation !== operation) continue;
      if (active.rule.source !== undefined && active.rule.source !== source) continue;
      if (active.rule.probability !== undefined && this.random() >= active.rule.probability) continue;
      active.remaining -= 1;
      return active.rule;
    }
    return undefined;
  }

  /** Whether the next webhook delivery is dropped and/or sent twice. */
  planWebhook(): WebhookPlan {
    if (this.webhookDrops > 0) {
      this.webhookDrops -= 1;
      return { drop: true, duplicate: false };
    }
    if (this.dropProbability > 0 && this.random() < this.dropProbability) return { drop: true, duplicate: false };
    if (this.webhookDuplicates > 0) {
      this.webhookDuplicates -= 1;
      return { drop: false, duplicate: true };
    }
    const duplicate = this.duplicateProbability > 0 && this.random() < this.duplicateProbability;
    return { drop: false, duplicate };
  }

  /** The fault for the next attempt of a delivery (first tries and retries alike), if any. */
  planWebhookAttempt(): WebhookAttemptFault | undefined {
    if (this.connectionFailures > 0) {
      this.connectionFailures -= 1;
      return 'refuseConnection';
    }
    if (this.lostAnswers > 0) {
      this.lostAnswers -= 1;
      return 'loseAnswer';
    }
    return undefined;
  }

  /** Whether a retried delivery keeps the `uuid` of the attempt before it. */
  webhookRetryUuid(): 'same' | 'new' {
    return this.retryUuid;
  }
}
