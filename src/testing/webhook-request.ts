import { createHash } from 'node:crypto';
import { twilioSignature } from './signature.js';
import type { WebhookBodyFormat } from './types.js';

/** A webhook POST as it goes on the wire: where to, which bytes, and their signature. */
export interface SignedWebhookRequest {
  /** The URL POSTed to (for JSON, the configured one plus `bodySHA256`): the one the signature covers. */
  url: string;
  format: WebhookBodyFormat;
  /** The event's fields. */
  params: Record<string, string>;
  body: string;
  contentType: string;
  signature: string;
}

/**
 * Signs a webhook as Twilio signs its requests (https://www.twilio.com/docs/usage/webhooks/webhooks-security):
 * a form body is signed as the URL followed by each parameter name and value, names sorted; a JSON body is
 * not part of that string: Twilio adds `bodySHA256=<hex SHA-256 of the body>` to the URL's query and signs the
 * URL alone. twilio-node's `validateRequest` and `validateRequestWithBody` check exactly these.
 * A connection-override fragment (`#rc=…`) is never sent, so it is not signed either.
 */
export function signedWebhookRequest(
  authToken: string,
  configuredUrl: string,
  params: Record<string, string>,
  format: WebhookBodyFormat,
): SignedWebhookRequest {
  const target = new URL(configuredUrl);
  target.hash = '';
  if (format === 'form') {
    const url = target.href;
    return {
      url,
      format,
      params,
      body: new URLSearchParams(params).toString(),
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      signature: twilioSignature(authToken, url, params),
    };
  }
  const body = JSON.stringify(params);
  target.searchParams.append('bodySHA256', createHash('sha256').update(body, 'utf8').digest('hex'));
  const url = target.href;
  return { url, format, params, body, contentType: 'application/json', signature: twilioSignature(authToken, url, {}) };
}
