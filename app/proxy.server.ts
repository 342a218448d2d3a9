import { isIP } from 'node:net';

/**
 * Who the client is and which scheme it used, when requests may pass through reverse proxies
 * (TRUST_PROXY). Pure functions over the socket's peer address and two headers; the server calls
 * them once per request (docs/decisions/0124-behind-a-proxy.md).
 */

/** One trusted address or network: an IPv4 or IPv6 prefix, as 16 bytes (IPv4 mapped into IPv6). */
export type TrustRange = { bytes: Uint8Array; prefix: number };
export type TrustList = readonly TrustRange[];

/** 16 bytes for an IPv4 or IPv6 text address (IPv4 as ::ffff:a.b.c.d), or null. */
export function addressBytes(text: string): Uint8Array | null {
  let value = text.trim();
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  const zone = value.indexOf('%');
  if (zone >= 0) value = value.slice(0, zone);
  const kind = isIP(value);
  if (kind === 4) {
    const out = new Uint8Array(16);
    out[10] = 0xff;
    out[11] = 0xff;
    value.split('.').forEach((part, i) => (out[12 + i] = Number(part)));
    return out;
  }
  if (kind !== 6) return null;
  // Expand `::` and a trailing dotted quad into eight 16-bit groups.
  let groups: string[];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(value);
  if (dotted) {
    const v4 = addressBytes(dotted[1]!)!;
    value = `${value.slice(0, -dotted[1]!.length)}${((v4[12]! << 8) | v4[13]!).toString(16)}:${((v4[14]! << 8) | v4[15]!).toString(16)}`;
  }
  const [head, tail] = value.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  if (tail === undefined) groups = headGroups;
  else {
    const tailGroups = tail ? tail.split(':') : [];
    groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  }
  const out = new Uint8Array(16);
  groups.forEach((group, i) => {
    const n = parseInt(group, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Parses TRUST_PROXY: addresses or CIDRs separated by commas or spaces (`127.0.0.1`,
 * `10.0.0.0/8`, `::1`, `fd00::/8`). Empty: trust nobody. Null when any entry is not valid.
 */
export function parseTrustList(text: string): TrustList | null {
  const entries = text.split(/[\s,]+/).filter(Boolean);
  const out: TrustRange[] = [];
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    const address = slash >= 0 ? entry.slice(0, slash) : entry;
    const bytes = addressBytes(address);
    if (!bytes) return null;
    const v4 = isIP(address) === 4;
    const max = v4 ? 32 : 128;
    let prefix = max;
    if (slash >= 0) {
      const bits = entry.slice(slash + 1);
      if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return null;
      prefix = Number(bits);
    }
    out.push({ bytes, prefix: v4 ? prefix + 96 : prefix });
  }
  return out;
}

export function isTrusted(address: string, list: TrustList): boolean {
  if (list.length === 0) return false;
  const bytes = addressBytes(address);
  if (!bytes) return false;
  return list.some((range) => {
    let bits = range.prefix;
    for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
      const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
      if ((bytes[i]! & mask) !== (range.bytes[i]! & mask)) return false;
    }
    return true;
  });
}

/** `::ffff:1.2.3.4` (how Node reports IPv4 peers on a dual-stack socket) shown as `1.2.3.4`. */
export function normaliseAddress(address: string): string {
  const bytes = addressBytes(address);
  if (bytes && isV4Mapped(bytes)) return Array.from(bytes.slice(12)).join('.');
  return address.trim().replace(/^\[|\]$/g, '');
}

function headerList(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/**
 * The client's address: start at the TCP peer; while the current hop is a trusted proxy, step to
 * the address it says it received the request from (the rightmost `X-Forwarded-For` entry not
 * yet used). The first untrusted hop is the client; a forged entry to its left is never read.
 * An entry that is not an IP address stops the walk at the hop that sent it.
 */
export function clientAddress(peer: string, forwardedFor: string | string[] | undefined, trust: TrustList): string {
  let current = normaliseAddress(peer);
  if (!isTrusted(current, trust)) return current;
  const hops = headerList(forwardedFor);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!.replace(/^\[([^\]]+)\](?::\d+)?$/, '$1').replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1');
    if (!addressBytes(hop)) return current;
    current = normaliseAddress(hop);
    if (!isTrusted(current, trust)) return current;
  }
  return current;
}

/**
 * `https` or `http`: the socket's own (TLS or not), unless the peer is a trusted proxy whose
 * `X-Forwarded-Proto` says otherwise (its first value: the scheme the outermost proxy saw).
 */
export function clientScheme(
  peer: string,
  encrypted: boolean,
  forwardedProto: string | string[] | undefined,
  trust: TrustList,
): 'http' | 'https' {
  const own = encrypted ? 'https' : 'http';
  if (!isTrusted(normaliseAddress(peer), trust)) return own;
  const first = headerList(forwardedProto)[0]?.toLowerCase();
  return first === 'https' || first === 'http' ? first : own;
}

/**
 * A Host header we can build a URL from: a DNS name or IPv4 address, or a bracketed IPv6
 * address, with an optional port 1-65535. Null for anything else (`a b`, `[::1`, `x:99999`, empty).
 */
export function validHost(value: string | undefined): string | null {
  if (value === undefined) return null;
  const match =
    /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?)(?::(\d{1,5}))?$/.exec(
      value,
    );
  if (!match || value.length > 255) return null;
  if (match[1]!.startsWith('[') && isIP(match[1]!.slice(1, -1)) !== 6) return null;
  if (match[2] !== undefined && (Number(match[2]) < 1 || Number(match[2]) > 65535)) return null;
  return value.toLowerCase();
}

/**
 * The host the client addressed: `X-Forwarded-Host` (its first value) when the peer is a trusted
 * proxy and the value is a valid host, else the Host header. Null when neither is valid.
 */
export function clientHost(
  peer: string,
  hostHeader: string | undefined,
  forwardedHost: string | string[] | undefined,
  trust: TrustList,
): string | null {
  if (isTrusted(normaliseAddress(peer), trust)) {
    const forwarded = validHost(headerList(forwardedHost)[0]);
    if (forwarded) return forwarded;
  }
  return validHost(hostHeader);
}

/**
 * True when a state-changing request carries an `Origin` that is not this site (`null`, another
 * host, or not a URL at all): a cross-site form POST, refused with a 403 before any action runs.
 */
export function isCrossSiteOrigin(method: string | undefined, origin: string | undefined, host: string): boolean {
  if (origin === undefined || method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  if (origin === 'null') return true;
  try {
    return new URL(origin).host.toLowerCase() !== host;
  } catch {
    return true;
  }
}
