import { Agent, request } from 'node:http';

export type LoadResult = {
  requests: number;
  errors: number;
  statuses: Record<number, number>;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
};

/**
 * A bounded closed-loop load generator for 127.0.0.1 only: `concurrency` keep-alive clients
 * send `total` requests between them, and latencies are measured per request.
 */
export async function runLoad(options: {
  url: string;
  total: number;
  concurrency: number;
  method?: string;
  body?: (i: number) => string;
  headers?: Record<string, string>;
}): Promise<LoadResult> {
  const target = new URL(options.url);
  if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost')
    throw new Error('load tests target loopback only');
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  let next = 0;
  const started = performance.now();

  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const body = options.body?.(i);
      const t0 = performance.now();
      const req = request(
        target,
        {
          method: options.method ?? 'GET',
          agent,
          headers: { ...options.headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - t0);
            statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end(body);
    });

  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.total) await one(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    errors,
    statuses,
    seconds,
    perSecond: latencies.length / seconds,
    p50: pick(0.5),
    p99: pick(0.99),
  };
}

export function formatLoad(label: string, r: LoadResult): string {
  return `${label.padEnd(34)} ${r.perSecond.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${r.errors}  statuses ${JSON.stringify(r.statuses)}`;
}
