/**
 * The address to print when the server is up: PUBLIC_URL when set (what browsers use behind a
 * proxy), otherwise the interface HOST names, with `localhost` only for the wildcard addresses
 * (0.0.0.0, ::) that include it. IPv6 literals are bracketed.
 */
export function listeningUrl(host: string, port: number, publicUrl: string | null): string {
  if (publicUrl) return publicUrl;
  const wildcard = host === '0.0.0.0' || host === '::' || host === '[::]';
  const shown = wildcard ? 'localhost' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}
