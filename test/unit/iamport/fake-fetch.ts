/** A scripted `fetch` for the client's unit tests: records every request, answers from a handler. */

export type SeenRequest = { method: string; url: URL; path: string; headers: Record<string, string>; body: unknown };

export type Reply =
  | { status: number; json: unknown }
  | { status: number; text: string }
  | { error: unknown }
  /** Never answers; rejects when the client aborts. */
  | { hang: true };

export type FakeFetch = { fetch: typeof fetch; requests: SeenRequest[] };

export function fakeFetch(handler: (request: SeenRequest, index: number) => Reply | Promise<Reply>): FakeFetch {
  const requests: SeenRequest[] = [];
  const fetchImpl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : null;
    const request: SeenRequest = { method: init?.method ?? 'GET', url, path: url.pathname + url.search, headers, body };
    requests.push(request);
    const reply = await handler(request, requests.length - 1);
    if ('hang' in reply) {
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () =>
          reject(new DOMException('This operation was aborted', 'AbortError')),
        );
      });
    }
    if ('error' in reply) throw reply.error;
    const text = 'json' in reply ? JSON.stringify(reply.json) : reply.text;
    return new Response(text, { status: reply.status, headers: { 'Content-Type': 'application/json; charset=UTF-8' } });
  };
  return { fetch: fetchImpl as typeof fetch, requests };
}

/** A fetch failure as undici reports a refused connection. */
export function connectionRefused(): Error {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  return new TypeError('fetch failed', { cause });
}

/** A connection that broke after the request went out. */
export function socketClosed(): Error {
  const cause = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  return new TypeError('fetch failed', { cause });
}

export const tokenReply = (token: string, now = 1_700_000_000, lifetime = 1800): Reply => ({
  status: 200,
  json: { code: 0, message: null, response: { access_token: token, now, expired_at: now + lifetime } },
});
