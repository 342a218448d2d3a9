import type { IncomingMessage } from 'node:http';
import { SandboxError } from './http';

/**
 * The `/__sandbox` controls are unauthenticated (decision 0100), so the browser must not be able
 * to reach them on a victim's behalf:
 * - a body must be `application/json` (a cross-site `text/plain` or form POST needs no preflight);
 * - a request carrying a cross-site `Origin` is refused (a body-less POST needs no content type);
 * - the `Host` must be one of the sandbox's own names (a DNS-rebound name is refused).
 */
export function guardControlRequest(req: IncomingMessage, ownHosts: ReadonlySet<string>): void {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!ownHosts.has(host))
    throw new SandboxError(403, `sandbox controls answer only to their own address, not Host ${JSON.stringify(host)}`);
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== '') {
    let originHost: string | null = null;
    try {
      const url = new URL(origin);
      originHost = url.protocol === 'http:' || url.protocol === 'https:' ? url.host.toLowerCase() : null;
    } catch {
      originHost = null;
    }
    if (originHost === null || !ownHosts.has(originHost))
      throw new SandboxError(403, `sandbox controls refuse cross-site requests (Origin ${JSON.stringify(origin)})`);
  }
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? '0') > 0;
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if ((hasBody || contentType !== '') && contentType !== 'application/json')
    throw new SandboxError(415, 'sandbox controls take application/json only');
}

/** The names a browser on this machine (or the configured public URL) reaches the sandbox by. */
export function ownHostsOf(port: number, listenHost: string, publicUrl: string | null): Set<string> {
  const hosts = new Set<string>([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  if (listenHost !== '0.0.0.0' && listenHost !== '::')
    hosts.add(`${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`.toLowerCase());
  if (publicUrl) {
    try {
      const url = new URL(publicUrl);
      hosts.add(url.host.toLowerCase());
      if (url.port === '') hosts.add(`${url.hostname.toLowerCase()}:${url.protocol === 'https:' ? 443 : 80}`);
    } catch {
      // an invalid public URL is refused by the config parser; nothing to add
    }
  }
  return hosts;
}

/** Loopback listen addresses; anything else exposes the unauthenticated controls to the network. */
export function listensOnLoopbackOnly(listenHost: string): boolean {
  const host = listenHost.toLowerCase().replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
