/**
 * Which URLs a webhook may call. http(s) only, no credentials in the URL, and (unless
 * WEBHOOK_ALLOW_PRIVATE_NETWORKS) no host that is or resolves to a loopback, private, link-local,
 * CGNAT, multicast or unspecified address: a tenant must not make the service call its own
 * network (SSRF). Checked when the subscription is created, before every run, and on the very
 * address each connection goes to (guardedLookup: the sender's own DNS lookup refuses a private
 * answer, so a name that resolves to a public address for the check and to a private one for the
 * connection, DNS rebinding, is refused too). Redirects are not followed.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export type UrlProblem = string | null;

function ipv4Private(address: string): boolean {
  const [a = 0, b = 0] = address.split('.').map(Number);
  return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254)
    || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
}

export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 4) return ipv4Private(address);
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return ipv4Private(mapped[1]!);
  return lower === '::' || lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || lower.startsWith('ff');
}

/** The URL's syntax: null when acceptable, else why not. */
export function urlSyntaxProblem(text: string): UrlProblem {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'only http and https URLs are allowed';
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  if (url.hash) return 'a fragment is not allowed';
  return null;
}

/** Resolves the host; null when every address it has is allowed. */
export async function addressProblem(text: string, allowPrivate: boolean): Promise<UrlProblem> {
  if (allowPrivate) return null;
  const host = new URL(text).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return 'the host does not resolve';
  }
  return addresses.some(isPrivateAddress) ? 'the host is a private, loopback or link-local address' : null;
}

/** The error a refused connection fails with (the sender reports it as `refused`). */
export const PRIVATE_ADDRESS_CODE = 'EPRIVATEADDRESS';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node:http(s) requests that refuses private addresses: net.connect resolves through
 * it, so the address checked is the address connected to. Handles both shapes net asks for (one
 * address, or all of them when it races address families).
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, '');
      return;
    }
    const allowed = addresses.filter((a) => !isPrivateAddress(a.address));
    if (allowed.length === 0 || allowed.length < addresses.length) {
      const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves to a private, loopback or link-local address`);
      refused.code = PRIVATE_ADDRESS_CODE;
      callback(refused, '');
      return;
    }
    if (options.all) callback(null, allowed);
    else callback(null, allowed[0]!.address, allowed[0]!.family);
  });
}
