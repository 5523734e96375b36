/**
 * A cluster worker's view of the phones: every call goes to the primary's phone service (phone-service.ts),
 * so all workers see and drive the same simulated phones.
 */
import type { EnrolInput, Phone, PhoneView, Phones } from '../device-sim.js';

/** A refusal from the phone service, with the code and status the device routes show. */
export class PhoneServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'PhoneServiceError';
  }
}

/** A phone's answer goes through the emulator and its webhook; this bounds a call to a primary that stopped answering. */
const CALL_TIMEOUT_MS = 15_000;

export class RemotePhones implements Phones {
  constructor(private readonly service: { url: string; token: string }) {}

  find(factorSid: string): Promise<Phone | undefined> {
    return this.call<Phone | null>('find', { factorSid }).then((phone) => phone ?? undefined);
  }

  seed(input: Omit<EnrolInput, 'accessToken'>): Promise<void> {
    return this.call('seed', input);
  }

  enrol(input: EnrolInput & { accessToken: string }): Promise<Phone> {
    return this.call('enrol', input);
  }

  view(): Promise<PhoneView[]> {
    return this.call('view');
  }

  approve(phone: Phone, challengeSid: string, matchCode?: string): Promise<void> {
    return this.call('approve', { factorSid: phone.factorSid, challengeSid, matchCode });
  }

  deny(phone: Phone, challengeSid: string): Promise<void> {
    return this.call('deny', { factorSid: phone.factorSid, challengeSid });
  }

  approveTransaction(phone: Phone, transactionId: string, matchCode?: string): Promise<void> {
    return this.call('approve-transaction', { factorSid: phone.factorSid, transactionId, matchCode });
  }

  private async call<T>(name: string, body: object = {}): Promise<T> {
    const response = await fetch(`${this.service.url}/${name}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.service.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    const answer = (await response.json().catch(() => ({}))) as { result?: T; code?: string; message?: string };
    if (!response.ok) {
      throw new PhoneServiceError(answer.code ?? `HTTP_${response.status}`, answer.message ?? 'The phone service refused the call.', response.status);
    }
    return answer.result as T;
  }
}
