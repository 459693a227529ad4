/**
 * Which URLs a webhook may call. http(s) only, no credentials in the URL, and (unless
 * WEBHOOK_ALLOW_PRIVATE_NETWORKS) no host that is or resolves to anything but a public unicast
 * address (address-policy.ts): a tenant must not make the service call its own network (SSRF).
 * Checked when the subscription is created (422 naming the rule), and on the very address each
 * connection goes to: a name through guardedLookup (the sender's own DNS lookup refuses a private
 * answer, so a name that resolves to a public address for the check and to a private one for the
 * connection, DNS rebinding, is refused too), an IP literal, which node:net connects to without
 * any lookup, through literalProblem before the request is made. Redirects are not followed.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { refusedAddressRule } from './address-policy.js';

export type UrlProblem = string | null;

/** The URL's host without IPv6 brackets, as node:net receives it. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
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

/** Resolves the host; null when every address it has is allowed, else the rule that refuses one. */
export async function addressProblem(text: string, allowPrivate: boolean): Promise<UrlProblem> {
  if (allowPrivate) return null;
  const host = hostOf(new URL(text));
  if (isIP(host)) return literalProblem(host);
  let addresses: string[];
  try {
    addresses = (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return 'the host does not resolve';
  }
  for (const address of addresses) {
    const rule = refusedAddressRule(address);
    if (rule) return `the host resolves to a refused address: ${rule}`;
  }
  return null;
}

/** For a host that is an IP address: null when allowed, else the rule (a name is judged by guardedLookup instead). */
export function literalProblem(host: string): UrlProblem {
  const rule = isIP(host) ? refusedAddressRule(host) : null;
  return rule && `the host ${rule}`;
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
    // One refused answer refuses the name: which one net would pick is not ours to guess.
    const rule = addresses.map((a) => refusedAddressRule(a.address)).find((r) => r !== null);
    if (rule !== undefined || addresses.length === 0) {
      const why = rule === undefined ? 'no address' : `a refused address: ${rule}`;
      const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${why}`);
      refused.code = PRIVATE_ADDRESS_CODE;
      callback(refused, '');
      return;
    }
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}
