import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * SSRF defence for outbound calls to configurable URLs: only http(s); no loopback, private,
 * link-local, carrier-grade NAT, multicast, reserved or cloud-metadata addresses, checked on
 * the URL (literal addresses, also in decimal or IPv4-mapped form) and again on every address a
 * name resolves to, at connect time (so DNS rebinding gains nothing). `allowHosts` lets named
 * hosts or addresses through (local simulators, a WMS on the office network).
 */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['100::', 64],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv6');

const BLOCKED_NAMES = new Set(['localhost', 'metadata.google.internal', 'metadata', 'instance-data', 'metadata.azure.com']);

export class OutboundBlockedError extends Error {
  readonly code = 'ESSRF';
}

/** True for an address outbound calls must not reach. IPv4-mapped and NAT64 IPv6 forms are judged by their IPv4 part. */
export function isForbiddenAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  const family = isIP(a);
  if (family === 4) return BLOCKED.check(a, 'ipv4');
  if (family !== 6) return true;
  const embedded = /^(?:::ffff:|::ffff:0:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(a)?.[1] ?? mappedHex(a);
  if (embedded) return BLOCKED.check(embedded, 'ipv4');
  return BLOCKED.check(a, 'ipv6');
}

/** ::ffff:7f00:1 → 127.0.0.1 (the hex form of an IPv4-mapped address). */
function mappedHex(a: string): string | undefined {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (!m) return undefined;
  const hi = parseInt(m[1]!, 16);
  const lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Why a URL may not be called (undefined when it may). Names are judged again at connect time. */
export function urlProblem(url: string, allowHosts: readonly string[] = []): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `only http and https are allowed, not ${u.protocol}`;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (allowHosts.includes(host)) return undefined;
  if (isIP(host)) return isForbiddenAddress(host) ? `${host} is a loopback, private, link-local or metadata address` : undefined;
  if (BLOCKED_NAMES.has(host) || host.endsWith('.localhost') || host.endsWith('.internal'))
    return `${host} is a local or metadata host name`;
  return undefined;
}

/**
 * A `lookup` for http(s) agents: resolves every address of a name and refuses the connection
 * when any of them is forbidden (unless the name is allowed).
 */
export function guardedLookup(allowHosts: readonly string[] = []) {
  return (
    hostname: string,
    options: object,
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      if (!allowHosts.includes(hostname.toLowerCase())) {
        const bad = list.find((a) => isForbiddenAddress(a.address));
        if (bad) return callback(new OutboundBlockedError(`${hostname} resolves to ${bad.address}, a forbidden address`), '', 0);
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
