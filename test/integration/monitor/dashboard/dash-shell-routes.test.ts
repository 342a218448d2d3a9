import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../helpers/app-server';
import { callRoute, createAuthHarness, errorOf, makeRequest, type AuthHarness } from '../../../helpers/auth';

/**
 * Walks every route file in app/routes, so pages added later are covered without editing this
 * test: every dashboard loader and action refuses a signed-out visitor, and every action except
 * the machine endpoints refuses a form without a valid CSRF token.
 */

type RouteModule = { loader?: (args: LoaderFunctionArgs) => unknown; action?: (args: ActionFunctionArgs) => unknown };
type RouteFile = { id: string; file: string };

const routesDir = path.join(repoRoot, 'app/routes');

/** Route files as Remix v2 flat routes sees them: `name.tsx`, or a folder with `route.tsx`. */
function listRouteFiles(): RouteFile[] {
  const out: RouteFile[] = [];
  for (const entry of readdirSync(routesDir)) {
    if (entry.startsWith('.') || /\.test\.tsx?$/.test(entry)) continue;
    const full = path.join(routesDir, entry);
    if (statSync(full).isDirectory()) {
      const route = ['route.tsx', 'route.ts'].map((f) => path.join(full, f)).find((f) => exists(f));
      if (route) out.push({ id: entry, file: route });
    } else if (/\.(tsx?|jsx?)$/.test(entry)) {
      out.push({ id: entry.replace(/\.(tsx?|jsx?)$/, ''), file: full });
    }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

function exists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A URL and params for a flat-route id: pathless `_x` and `_index` drop out, `$param` becomes `1`. */
function sampleUrl(id: string): { url: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const segments: string[] = [];
  // `[.]` is an escaped dot inside a segment (`sitemap[.]xml`), not a separator.
  for (const raw of id.split(/(?<!\[)\.(?!\])/)) {
    const segment = raw.replace(/\[\.\]/g, '.').replace(/_$/, '');
    if (segment.startsWith('_') || segment === '') continue;
    if (segment === '$') {
      params['*'] = 'x';
      segments.push('x');
    } else if (segment.startsWith('$')) {
      params[segment.slice(1)] = '1';
      segments.push('1');
    } else if (segment.startsWith('(')) {
      continue;
    } else {
      segments.push(segment);
    }
  }
  return { url: `/${segments.join('/')}`, params };
}

const isDashboard = (id: string) => id === '_dash' || id.startsWith('_dash.');
/** Authenticated by a store API key or unauthenticated evidence: no cookie, so no CSRF to forge. */
const isMachineEndpoint = (id: string) => id.startsWith('api.') || id.startsWith('webhooks.');

const routes = listRouteFiles();
const load = (route: RouteFile) => import(route.file) as Promise<RouteModule>;

describe('route walk', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await createAuthHarness();
  });
  afterAll(() => h.close());

  it('finds the route files (including the shell’s own)', () => {
    const ids = routes.map((r) => r.id);
    for (const id of ['_dash', '_dash._index', '_dash.users', 'login', 'logout', 'language']) expect(ids).toContain(id);
  });

  describe.each(routes.filter((r) => isDashboard(r.id)).map((r) => [r.id, r] as const))(
    'dashboard route %s, signed out',
    (_id, route) => {
      it('loader and action redirect to /login', async () => {
        const mod = await load(route);
        const { url, params } = sampleUrl(route.id);
        if (mod.loader) {
          const request = makeRequest(url);
          const response = await callRoute(mod.loader, request, params, h.context(request));
          expect(response.status, `${route.id} loader`).toBe(302);
          expect(response.headers.get('location'), `${route.id} loader`).toMatch(/^\/login(\?redirectTo=|$)/);
        }
        if (mod.action) {
          const request = makeRequest(url, { form: { intent: 'anything' } });
          const response = await callRoute(mod.action, request, params, h.context(request));
          expect(response.status, `${route.id} action`).toBe(302);
          expect(response.headers.get('location'), `${route.id} action`).toMatch(/^\/login/);
        }
      });
    },
  );

  const withActions = routes.filter((r) => !isMachineEndpoint(r.id));
  describe.each(withActions.map((r) => [r.id, r] as const))('route %s, signed in as admin', (_id, route) => {
    it('refuses a form without a CSRF token, or with a forged one, with 403 and the reason', async () => {
      const mod = await load(route);
      if (!mod.action) return;
      const admin =
        (await h.t.db
          .selectFrom('user')
          .select(['id', 'email'])
          .where('email', '=', 'walker@example.com')
          .executeTakeFirst()) ?? (await h.addUser('walker@example.com', 'admin'));
      const { cookie } = await h.sessionFor({ id: admin.id, email: admin.email, role: 'admin' });
      const { url, params } = sampleUrl(route.id);
      for (const [form, reason] of [
        [{ intent: 'create', email: 'x@example.com', role: 'admin', locale: 'ko' }, 'csrf_missing'],
        [
          { _csrf: 'forged-token', intent: 'create', email: 'x@example.com', role: 'admin', locale: 'ko' },
          'csrf_invalid',
        ],
      ] as const) {
        const request = makeRequest(url, { cookie, form });
        const response = await callRoute(mod.action, request, params, h.context(request));
        expect(response.status, `${route.id} action (${reason})`).toBe(403);
        expect(await errorOf(response)).toMatchObject({ code: 'forbidden', reason });
      }
    });
  });
});
