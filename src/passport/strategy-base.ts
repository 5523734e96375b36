import { Strategy as PassportStrategy } from 'passport-strategy';

/** Passport's actions, attached to each per-request object by passport.authenticate(). */
export interface PassportActions {
  success(user: unknown, info?: object): void;
  fail(challenge?: unknown, status?: number): void;
  redirect(url: string, status?: number): void;
  pass(): void;
  error(err: unknown): void;
}

/**
 * passport-strategy's base class, as every Passport strategy extends it. Typed here rather than through
 * @types/passport-strategy so the published declarations ask nothing extra of TypeScript users.
 */
export const StrategyBase = PassportStrategy as unknown as abstract new () => PassportActions;
