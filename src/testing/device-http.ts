import twilio from 'twilio';

/** The device's HTTP: form posts and GETs to the emulator with Basic `token:<credential>`. */

export interface DeviceResponse<T> {
  body: T;
  headers: Headers;
}

export async function deviceRequest<T>(
  url: string,
  credential: string,
  method: 'GET' | 'POST',
  form?: Record<string, string>,
): Promise<DeviceResponse<T>> {
  const headers: Record<string, string> = {
    Authorization: `Basic ${Buffer.from(`token:${credential}`).toString('base64')}`,
    Accept: 'application/json',
  };
  let body: string | undefined;
  if (form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = text;
  }
  // Twilio's refusals reach the device's caller exactly as twilio-node reports them to a backend.
  if (response.status < 200 || response.status >= 300) {
    throw new twilio.RestException({ statusCode: response.status, body: parsed });
  }
  return { body: parsed as T, headers: response.headers };
}
