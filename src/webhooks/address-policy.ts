/**
 * Which IP addresses a webhook may connect to: public unicast only. The ranges come from ipaddr.js
 * (its IANA special-purpose registry), not from a hand-written list; what is added here is what
 * the library leaves to its caller: IPv6 forms that carry an IPv4 address (IPv4-mapped, the SIIT
 * form, IPv4-compatible, NAT64 64:ff9b::/96, 6to4, Teredo) are judged by the IPv4 they carry, and
 * IPv6 outside global unicast (2000::/3) is refused. The URL parser has already turned every IPv4
 * spelling (decimal, octal, hex, short forms) into dotted form and every IPv6 one into its
 * compressed form; ipaddr.js parses those (and also, as a second line, the loose ones).
 */
import ipaddr from 'ipaddr.js';

/** What each refused range is called in a 422 and in the operator's log. */
const RANGE_NAMES: Record<string, string> = {
  unspecified: 'unspecified (0.0.0.0/8, ::)',
  broadcast: 'broadcast (255.255.255.255)',
  multicast: 'multicast (224.0.0.0/4, ff00::/8)',
  linkLocal: 'link-local (169.254.0.0/16, fe80::/10)',
  loopback: 'loopback (127.0.0.0/8, ::1)',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  private: 'private (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)',
  reserved: 'reserved or documentation (192.0.0.0/24, 192.0.2.0/24, 198.18.0.0/15, 198.51.100.0/24, 203.0.113.0/24, ' +
    '240.0.0.0/4, 2001::/23, 2001:db8::/32, 3fff::/20)',
  as112: 'AS112 DNS sink (192.175.48.0/24, 192.31.196.0/24)',
  amt: 'AMT relay anycast (192.52.193.0/24, 2001:3::/32)',
  uniqueLocal: 'unique-local (fc00::/7)',
  deprecatedSiteLocal: 'site-local (fec0::/10)',
  discard: 'discard-only (100::/64)',
  benchmarking: 'benchmarking (2001:2::/48)',
  as112v6: 'AS112 DNS sink (2001:4:112::/48, 2620:4f:8000::/48)',
  deprecatedOrchid: 'ORCHID (2001:10::/28)',
  orchid2: 'ORCHIDv2 (2001:20::/28)',
  droneRemoteIdProtocolEntityTags: 'DRIP entity tags (2001:30::/28)',
  segmentRouting: 'segment routing (5f00::/16)',
  rfc6052: 'local-use NAT64 (64:ff9b:1::/48)',
};

const notGlobalUnicast = 'not global unicast (outside 2000::/3)';
const ipv4Compatible = ipaddr.IPv6.parse('::');

function ipv4At(v6: ipaddr.IPv6, firstPart: number, invert = false): ipaddr.IPv4 {
  const hi = v6.parts[firstPart]! ^ (invert ? 0xffff : 0);
  const lo = v6.parts[firstPart + 1]! ^ (invert ? 0xffff : 0);
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/** The IPv4 addresses an IPv6 address carries, and what that form is called; null when none. */
function embeddedIpv4(v6: ipaddr.IPv6): { form: string; ipv4: ipaddr.IPv4[] } | null {
  switch (v6.range()) {
    case 'ipv4Mapped': return { form: 'IPv4-mapped IPv6', ipv4: [ipv4At(v6, 6)] };
    case 'rfc6145': return { form: 'IPv4-translated IPv6 (::ffff:0:0:0/96)', ipv4: [ipv4At(v6, 6)] };
    case 'rfc6052': return v6.match(ipaddr.IPv6.parse('64:ff9b::'), 96) ? { form: 'NAT64 (64:ff9b::/96)', ipv4: [ipv4At(v6, 6)] } : null;
    case '6to4': return { form: '6to4 (2002::/16)', ipv4: [ipv4At(v6, 1)] };
    // Teredo: the server's IPv4 in bits 32-63, the client's inverted in the last 32.
    case 'teredo': return { form: 'Teredo (2001::/32)', ipv4: [ipv4At(v6, 2), ipv4At(v6, 6, true)] };
    default:
      // ::a.b.c.d, deprecated by RFC 4291; :: and ::1 are judged as themselves.
      if (v6.match(ipv4Compatible, 96) && v6.parts[6]! !== 0) return { form: 'IPv4-compatible IPv6 (::/96)', ipv4: [ipv4At(v6, 6)] };
      return null;
  }
}

function ipv4Rule(v4: ipaddr.IPv4): string | null {
  const range = v4.range();
  return range === 'unicast' ? null : RANGE_NAMES[range] ?? range;
}

/**
 * Null when a webhook may connect to `address` (an IP address in any form ipaddr.js parses), else
 * the rule that refuses it, worded for the tenant: "127.0.0.1 is loopback (127.0.0.0/8, ::1)".
 * Anything that does not parse as an address is refused.
 */
export function refusedAddressRule(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '');
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(bare);
  } catch {
    return `${bare} is not an IP address`;
  }
  if (parsed.kind() === 'ipv4') {
    const rule = ipv4Rule(parsed as ipaddr.IPv4);
    return rule && `${bare} is ${rule}`;
  }
  const v6 = parsed as ipaddr.IPv6;
  const embedded = embeddedIpv4(v6);
  if (embedded) {
    if (embedded.form.startsWith('IPv4-compatible')) return `${bare} is ${embedded.form}, a deprecated form`;
    for (const v4 of embedded.ipv4) {
      const rule = ipv4Rule(v4);
      if (rule) return `${bare} is ${embedded.form} of ${v4.toString()}, which is ${rule}`;
    }
    return null;
  }
  const range = v6.range();
  if (range !== 'unicast') return `${bare} is ${RANGE_NAMES[range] ?? range}`;
  if (!v6.match(ipaddr.IPv6.parse('2000::'), 3)) return `${bare} is ${notGlobalUnicast}`;
  return null;
}
