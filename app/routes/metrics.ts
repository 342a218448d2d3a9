import type { LoaderFunctionArgs } from '@remix-run/node';
import { renderMetrics } from '~/monitor/dashboard/metrics-report.server';

export async function loader({ context }: LoaderFunctionArgs) {
  return new Response(await renderMetrics(context), {
    headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}
