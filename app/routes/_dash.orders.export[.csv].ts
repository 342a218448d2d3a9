import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '~/auth/guard.server';
import { AppError, errorResponse } from '~/errors';
import { exportOrderLogCsv } from '~/monitor/dashboard/csv-export.server';

/**
 * `GET /orders/export.csv?<the log's filters>`: the whole filtered payment log as CSV, streamed
 * from the database in chunks (a resource route: no layout, so it checks the session itself).
 * A bad filter answers 400 with the reason, like the log.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context);
  try {
    const { filename, body } = await exportOrderLogCsv(context, new URL(request.url).searchParams, context.now());
    return new Response(body, {
      headers: {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="${filename}"`,
        'Cache-Control': 'private, no-store',
        'X-Content-Type-Options': 'nosniff',
      },
    });
  } catch (error) {
    if (error instanceof AppError) throw errorResponse(error);
    throw error;
  }
}
