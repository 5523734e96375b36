/**
 * A twilio-node `RequestClient` (v5 or v6) that sends every request to a local server instead of
 * verify.twilio.com and keeps what came back, so a test can check each answer the real SDK received
 * against Twilio's OpenAPI description — including error answers the SDK turns into exceptions.
 */

export interface RecordedResponse {
  /** Upper-case HTTP method. */
  method: string;
  /** Absolute URL the request went to, after the host was rewritten. */
  uri: string;
  /** Query parameters the SDK passed separately from `uri`, if any. */
  params?: object;
  statusCode: number;
  /** The body as the SDK sees it (axios has already parsed JSON; an empty body is ''). */
  body: unknown;
  /** Response headers, names in lower case. */
  headers: Record<string, unknown>;
}

interface SdkRequestOptions {
  method: string;
  uri: string;
  params?: object;
}

interface SdkResponse {
  statusCode: number;
  body: unknown;
  headers?: unknown;
}

interface RequestClientLike {
  request(opts: SdkRequestOptions): Promise<SdkResponse>;
}

/** `twilio.RequestClient` of either major version; both share this request/response shape. */
// A mixin base must be declared with `any[]` constructor arguments (TypeScript's rule for class mixins).
type RequestClientClass = new (...args: any[]) => RequestClientLike;

export interface RecordingClientOptions {
  /** Base URL of the server to talk to, e.g. the emulator's `url`. */
  baseUrl: string;
  /** Every response is pushed here, in the order received. */
  log: RecordedResponse[];
  /** Per-request timeout in ms (twilio does not apply its own when a custom httpClient is given). */
  timeout?: number;
}

/**
 * Builds an instance of a subclass of `Base` (pass `twilio.RequestClient` from the SDK under test, so the
 * request path is exactly that version's). The host is rewritten here, after twilio-node has applied any
 * region or edge to the host name, which is the only point where a rewrite catches every request.
 */
export function createRecordingClient<C extends RequestClientClass>(Base: C, options: RecordingClientOptions): InstanceType<C> {
  const target = new URL(options.baseUrl);

  class RecordingRequestClient extends Base {
    override async request(opts: SdkRequestOptions): Promise<SdkResponse> {
      const url = new URL(opts.uri);
      url.protocol = target.protocol;
      url.host = target.host;
      const uri = url.toString();
      const response = await super.request({ ...opts, uri });
      options.log.push({
        method: opts.method.toUpperCase(),
        uri,
        ...(opts.params ? { params: opts.params } : {}),
        statusCode: response.statusCode,
        body: response.body,
        headers: { ...(response.headers as Record<string, unknown> | undefined) },
      });
      return response;
    }
  }

  return new RecordingRequestClient(options.timeout === undefined ? {} : { timeout: options.timeout }) as InstanceType<C>;
}
