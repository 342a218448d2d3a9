import type { LoaderFunctionArgs } from '@remix-run/node';
import { bearerAllowed } from '~/auth/bearer.server';
import { renderMetrics } from '~/monitor/dashboard/metrics-report.server';

/** Prometheus text. With METRICS_TOKEN set, only `Authorization: Bearer <token>` gets it. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  if (!bearerAllowed(request, context.config.http.metricsToken)) {
    return Response.json(
      { error: { code: 'unauthorized', message: 'This endpoint needs Authorization: Bearer <METRICS_TOKEN>' } },
      { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="metrics"', 'Cache-Control': 'no-store' } },
    );
  }
  return new Response(await renderMetrics(context), {
    headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}
