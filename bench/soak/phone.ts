/**
 * A user's phone: what it does with the push of one login. Approve and deny act on the newest pending request,
 * as a person tapping the notification does; silent approval is the app on the phone approving only the
 * challenge that carries the login's transaction id; ignore does nothing and lets the challenge expire.
 */
import type { DeviceFactorRef, SimulatedDevice } from '../../src/testing/index.js';
import type { PhoneAction } from './plan.js';

export interface PhoneAnswer {
  action: Exclude<PhoneAction, 'ignore'>;
  /** When the answer was sent, and when Twilio accepted it (ms since epoch). */
  sentAt: number;
  at: number;
  ok: boolean;
  /** The challenge answered (approve and deny: the newest pending one; silent: the one with the transaction id). */
  challengeSid: string | undefined;
  transactionId: string | undefined;
  /** Why the phone could not answer: Twilio's code, the device's code, or NOTHING_PENDING. */
  error: string | undefined;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return code === undefined ? String((error as { message?: unknown } | null)?.message ?? error) : String(code);
}

export class Phone {
  constructor(
    private readonly device: SimulatedDevice,
    readonly ref: DeviceFactorRef,
  ) {}

  async act(action: Exclude<PhoneAction, 'ignore'>, transactionId: string): Promise<PhoneAnswer> {
    const sentAt = Date.now();
    const answer = (ok: boolean, challengeSid?: string, carried?: string, error?: string): PhoneAnswer => ({
      action,
      sentAt,
      at: Date.now(),
      ok,
      challengeSid,
      transactionId: carried,
      error,
    });
    try {
      if (action === 'silent') {
        const approved = await this.device.approveTransaction({ ...this.ref, transactionId });
        return answer(true, approved.sid, approved.hidden_details?.['transaction_id']);
      }
      const [newest] = await this.device.challenges({ ...this.ref, status: 'pending', limit: 1 });
      if (!newest) return answer(false, undefined, undefined, 'NOTHING_PENDING');
      const carried = newest.hidden_details?.['transaction_id'];
      try {
        const options = { ...this.ref, challengeSid: newest.sid };
        if (action === 'approve') await this.device.approve(options);
        else await this.device.deny(options);
        return answer(true, newest.sid, carried);
      } catch (error) {
        return answer(false, newest.sid, carried, errorCode(error));
      }
    } catch (error) {
      return answer(false, undefined, undefined, errorCode(error));
    }
  }
}
