import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type * as HttpResponse from 'twilio/lib/http/response.js';
import type { TwilioClient } from './twilio-client.js';
import type { EmulatorClientOptions, EmulatorConnection } from './types.js';

/**
 * A RequestClient that sends every request to the emulator: it keeps the path and query of the
 * URL twilio-node built (after any region/edge rewrite) and replaces protocol and host.
 */
class EmulatorRequestClient extends twilio.RequestClient {
  private readonly target: URL;

  constructor(baseUrl: string, options: EmulatorClientOptions) {
    super({ timeout: options.timeout, autoRetry: options.autoRetry, maxRetries: options.maxRetries });
    this.target = new URL(baseUrl);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<HttpResponse.default<TData>> {
    const uri = new URL(opts.uri);
    uri.protocol = this.target.protocol;
    uri.host = this.target.host;
    return super.request<TData>({ ...opts, uri: uri.href });
  }
}

/**
 * A real twilio client whose requests reach the emulator at `connection.url`, whether it runs in this
 * process (`emulator.client()` calls this) or in another one (the URL and credentials it printed).
 */
export function emulatorClient(connection: EmulatorConnection, options: EmulatorClientOptions = {}): TwilioClient {
  return twilio(connection.accountSid, connection.authToken, { httpClient: new EmulatorRequestClient(connection.url, options) });
}
