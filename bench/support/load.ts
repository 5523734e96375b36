/**
 * Closed-loop load: a fixed number of requests sent by a fixed number of concurrent workers over one
 * keep-alive agent. Every benchmark side (ours and its baseline) goes through this same generator.
 */
import { performance } from 'node:perf_hooks';
import type { Agent } from 'node:http';
import { send, type RequestSpec } from './http.js';

export interface LoadOptions {
  agent: Agent;
  port: number;
  concurrency: number;
  /** Requests to send; `spec(i)` builds the i-th one (build bodies beforehand: the builder is on the clock). */
  count: number;
  spec(index: number): RequestSpec;
  /** Every answer must have this status, or the round is void (an error answer is not a fast answer). */
  expectStatus: number;
  /** Optional check of each answer's body, for the same reason. */
  expectBody?(body: string): boolean;
}

export interface LoadRound {
  /** Per-request latency in ms, in completion order. */
  latenciesMs: number[];
  elapsedMs: number;
  /** Requests per second over the whole round. */
  throughput: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadRound> {
  const latenciesMs: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.count) {
      const index = next;
      next += 1;
      const spec = options.spec(index);
      const started = performance.now();
      const answer = await send(options.agent, options.port, spec);
      latenciesMs.push(performance.now() - started);
      if (answer.status !== options.expectStatus || (options.expectBody && !options.expectBody(answer.body))) {
        throw new Error(`${spec.method} ${spec.path} answered ${answer.status} ${answer.body.slice(0, 200)}; expected ${options.expectStatus}`);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  const elapsedMs = performance.now() - started;
  return { latenciesMs, elapsedMs, throughput: (options.count / elapsedMs) * 1000 };
}
