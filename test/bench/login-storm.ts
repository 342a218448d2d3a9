import { request as httpRequest, Agent } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { startApp } from '../helpers/app-server';

/**
 * Sign-in storm: `/healthz` latency while 30 clients sign in at once (each from its own address,
 * through TRUST_PROXY=127.0.0.1 and X-Forwarded-For, with the right password, several rounds),
 * next to `/healthz` alone in the same run. scrypt runs at most one per core beyond the first
 * (two at most; app/auth/password.server.ts), so the libuv pool and the event loop keep room for
 * everything else. BENCH_CLIENTS and BENCH_ROUNDS change the load.
 * Target: p99 under 100 ms during the storm.
 */

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const BASELINE_PROBES = 300;
const ADMIN = { email: 'storm@example.com', password: 'storm-password-123' };

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

// One connection per client, like browsers; the probe has its own.
function send(
  agent: Agent,
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

async function probe(port: number, until: () => boolean, limit = Infinity): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  try {
    while (!until() && out.length < limit) {
      const started = performance.now();
      const answer = await send(agent, port, 'GET', '/healthz', {});
      if (answer.status !== 200) throw new Error(`/healthz answered ${answer.status}`);
      out.push(performance.now() - started);
    }
  } finally {
    agent.destroy();
  }
  return out;
}

async function signInClient(port: number, index: number): Promise<{ statuses: number[]; ms: number[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const forwarded = { 'x-forwarded-for': `198.51.${100 + Math.floor(index / 250)}.${(index % 250) + 1}` };
  const statuses: number[] = [];
  const ms: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const page = await send(agent, port, 'GET', '/login', forwarded);
      const cookies = ([] as string[]).concat(page.headers['set-cookie'] ?? []);
      const cookie = cookies.map((c) => c.split(';')[0]).join('; ');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      const started = performance.now();
      const answer = await send(
        agent,
        port,
        'POST',
        '/login',
        { ...forwarded, cookie, 'content-type': 'application/x-www-form-urlencoded' },
        new URLSearchParams({ _csrf: csrf, email: ADMIN.email, password: ADMIN.password }).toString(),
      );
      ms.push(performance.now() - started);
      statuses.push(answer.status);
    }
  } finally {
    agent.destroy();
  }
  return { statuses, ms };
}

export async function main() {
  const app = await startApp({
    env: { TRUST_PROXY: '127.0.0.1', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
  });
  const loadAtStart = loadavg();
  try {
    // Warm up (first page render, statement caches), then the baseline: /healthz alone.
    await probe(app.port, () => false, 50);
    const alone = summary(await probe(app.port, () => false, BASELINE_PROBES));

    let stormOver = false;
    const started = performance.now();
    const probing = probe(app.port, () => stormOver);
    const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => signInClient(app.port, i)));
    const stormMs = performance.now() - started;
    stormOver = true;
    const during = summary(await probing);

    const statuses = clients.flatMap((c) => c.statuses);
    const signIn = summary(clients.flatMap((c) => c.ms));
    const byStatus = Object.entries(
      statuses.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {}),
    )
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ');
    const f = (n: number) => n.toFixed(1);
    console.log(`login-storm: ${CLIENTS} clients × ${ROUNDS} sign-ins (right password, one address each)`);
    // Latency figures mean little without the machine's state: other processes share these cores.
    console.log(
      `  machine: ${availableParallelism()} cores, load average ${loadAtStart.map((n) => n.toFixed(1)).join(' / ')} (1/5/15 min) at start, ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' / ')} at end`,
    );
    console.log(`  sign-ins: ${statuses.length} in ${f(stormMs / 1000)} s (${byStatus})`);
    console.log(`  sign-in latency    p50 ${f(signIn.p50)} ms   p99 ${f(signIn.p99)} ms   max ${f(signIn.max)} ms`);
    console.log(
      `  /healthz alone     p50 ${f(alone.p50)} ms   p99 ${f(alone.p99)} ms   max ${f(alone.max)} ms   (n=${alone.n})`,
    );
    console.log(
      `  /healthz in storm  p50 ${f(during.p50)} ms   p99 ${f(during.p99)} ms   max ${f(during.max)} ms   (n=${during.n})`,
    );
    console.log(
      `  ratio storm/alone  p50 ×${f(during.p50 / alone.p50)}   p99 ×${f(during.p99 / alone.p99)}   target p99 < 100 ms: ${during.p99 < 100 ? 'met' : 'NOT met'}`,
    );
  } finally {
    await app.stop();
    app.cleanup();
  }
}
