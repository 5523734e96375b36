/**
 * A port free on 127.0.0.1 right now, picked by the OS, for a server whose port must be known before it starts:
 * one that keeps its port across restarts, or whose URL is handed to others (PUBLIC_URL, a webhook) first.
 * Shared by the tests, the benchmarks and the soak.
 */
import { createServer, type AddressInfo } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    // A probe that is still closing must not keep the process alive.
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
