/**
 * One HTTP request of a simulated browser, on its own connection (as a load balancer's fresh upstream
 * connection would be: no keep-alive socket left open on an instance after the run). Never rejects: a
 * refused connection, a connection that died before the answer, and no answer in time are results.
 */
import http from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type HttpOutcome = HttpAnswer | { failed: 'refused' | 'reset' | 'timeout'; message: string };

export interface HttpSpec {
  method: 'GET' | 'POST';
  path: string;
  headers: http.OutgoingHttpHeaders;
  body?: string;
  timeoutMs: number;
}

export function isAnswer(outcome: HttpOutcome): outcome is HttpAnswer {
  return 'status' in outcome;
}

export function httpSend(base: string, spec: HttpSpec): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: HttpOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const headers: http.OutgoingHttpHeaders = { ...spec.headers };
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(spec.body);
    }
    const req = http.request(`${base}${spec.path}`, { method: spec.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => finish({ failed: 'reset', message: error.message }));
      res.on('close', () => finish({ failed: 'reset', message: 'the answer was cut off' }));
    });
    const timer = setTimeout(() => {
      finish({ failed: 'timeout', message: `no answer within ${spec.timeoutMs} ms` });
      req.destroy();
    }, spec.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ failed: error.code === 'ECONNREFUSED' ? 'refused' : 'reset', message: error.message }),
    );
    req.end(spec.body);
  });
}
