import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxContext } from './context';
import { sendEnvelope } from './http';
import type { Merchant } from './merchants';

const REASONS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * A merchant's API faults, applied before the real handler: added latency, then (for the
 * affected share of requests) a hang or a forced status. Returns true when it answered (or will
 * never answer) so the handler must not run.
 */
export async function applyFaults(ctx: SandboxContext, merchant: Merchant, res: ServerResponse): Promise<boolean> {
  const faults = merchant.faults;
  if (!faults) return false;
  if (faults.latency_ms > 0) await sleep(faults.latency_ms);
  if (faults.remaining === 0) return false;
  const affected = faults.hang || (faults.error_rate > 0 && Math.random() < faults.error_rate);
  if (!affected) return false;
  await ctx.merchants.consumeFault(merchant);
  if (faults.hang) {
    // Never answered: the client's own timeout decides. close() drops these sockets.
    ctx.log.debug({ merchant: merchant.imp_code }, 'sandbox fault: hanging request');
    return true;
  }
  const status = faults.status ?? 500;
  if (faults.body === 'html') {
    const reason = REASONS[status] ?? 'Error';
    const html = `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n</body>\r\n</html>\r\n`;
    res.writeHead(status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(html) });
    res.end(html);
  } else {
    sendEnvelope(res, status, -1, `sandbox fault: forced HTTP ${status}`, null);
  }
  return true;
}
