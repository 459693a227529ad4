/**
 * The webhook SSRF guard in every spelling the URL parser accepts: each host below is refused when
 * a subscription is created (422 naming the rule) and when a connection would be made, and a
 * listener on loopback sees no connection at all. Public addresses, also in the IPv6 forms that
 * carry one, stay allowed; WEBHOOK_ALLOW_PRIVATE_NETWORKS=true (local development) reaches loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedAddressRule } from '../../src/webhooks/address-policy.js';
import { REFUSED_ERROR, sendSigned, Signer } from '../../src/webhooks/webhook-sender.js';
import { addressProblem, hostOf } from '../../src/webhooks/webhook-url.js';
import { useTestApp } from '../support/test-app.js';

/** [host as written in the URL, the rule's name that must appear in the refusal]. */
const REFUSED: [string, RegExp][] = [
  // IPv4 loopback, in the spellings the WHATWG parser turns into 127.0.0.1
  ['127.0.0.1', /loopback/], ['127.1', /loopback/], ['127.0.1', /loopback/], ['2130706433', /loopback/],
  ['0x7f000001', /loopback/], ['0x7f.0x0.0x0.0x1', /loopback/], ['0177.0.0.1', /loopback/], ['017700000001', /loopback/],
  ['0x7f.1', /loopback/], ['127.0.0.1.', /loopback/], ['\uff11\uff12\uff17.\uff10.\uff10.\uff11', /loopback/], ['127.255.255.254', /loopback/],
  // 0.0.0.0/8 (connecting to 0.0.0.0 reaches this host)
  ['0', /unspecified/], ['0.0.0.0', /unspecified/], ['0x0', /unspecified/], ['0.1.2.3', /unspecified/],
  // private, CGNAT, link-local (cloud metadata), multicast, broadcast, reserved, documentation
  ['10.0.0.1', /private/], ['012.0.0.1', /private/], ['167772161', /private/], ['172.16.0.1', /private/], ['172.31.255.255', /private/],
  ['192.168.1.1', /private/], ['0xc0a80101', /private/], ['100.64.0.1', /carrier-grade NAT/], ['100.127.255.254', /carrier-grade NAT/],
  ['169.254.169.254', /link-local/], ['0xa9fea9fe', /link-local/], ['224.0.0.1', /multicast/], ['239.255.255.250', /multicast/],
  ['255.255.255.255', /broadcast/], ['4294967295', /broadcast/], ['240.0.0.1', /reserved/], ['192.0.0.8', /reserved/],
  ['198.18.0.1', /reserved/], ['192.0.2.1', /documentation/], ['198.51.100.7', /documentation/], ['203.0.113.9', /documentation/],
  // IPv6 loopback, unspecified, link-local, unique-local, site-local, multicast, documentation, unallocated
  ['[::1]', /loopback/], ['[0:0:0:0:0:0:0:1]', /loopback/], ['[::]', /unspecified/], ['[fe80::1]', /link-local/],
  ['[fc00::1]', /unique-local/], ['[fd12:3456::1]', /unique-local/], ['[fec0::1]', /site-local/], ['[ff02::1]', /multicast/],
  ['[2001:db8::1]', /documentation/], ['[100::1]', /discard/], ['[4000::1]', /not global unicast/],
  // IPv4-mapped and IPv4-compatible IPv6 (the parser writes [::ffff:127.0.0.1] as [::ffff:7f00:1])
  ['[::ffff:127.0.0.1]', /IPv4-mapped IPv6 of 127\.0\.0\.1, which is loopback/], ['[::ffff:7f00:1]', /IPv4-mapped.*loopback/],
  ['[0:0:0:0:0:ffff:127.0.0.1]', /IPv4-mapped.*loopback/], ['[::ffff:10.0.0.1]', /IPv4-mapped.*private/],
  ['[::ffff:169.254.169.254]', /IPv4-mapped.*link-local/], ['[::ffff:0:127.0.0.1]', /IPv4-translated.*loopback/],
  ['[::127.0.0.1]', /IPv4-compatible/], ['[::7f00:1]', /IPv4-compatible/], ['[::8.8.8.8]', /IPv4-compatible/],
  // NAT64, 6to4 and Teredo carrying a refused IPv4
  ['[64:ff9b::127.0.0.1]', /NAT64.*loopback/], ['[64:ff9b::a00:1]', /NAT64.*private/], ['[64:ff9b::a9fe:a9fe]', /NAT64.*link-local/],
  ['[64:ff9b:1::1]', /local-use NAT64/], ['[2002:7f00:1::1]', /6to4.*loopback/], ['[2002:a9fe:a9fe::1]', /6to4.*link-local/],
  ['[2002:c0a8:101::1]', /6to4.*private/], ['[2001:0:7f00:1::1]', /Teredo.*127\.0\.0\.1.*loopback/],
  // Teredo with a public server (65.54.227.120) and a private client (10.0.0.1, inverted in the last 32 bits)
  ['[2001:0:4136:e378:8000:63bf:f5ff:fffe]', /Teredo.*10\.0\.0\.1.*private/],
];

const ALLOWED = ['93.184.215.14', '1.1.1.1', '8.8.8.8', '[2606:4700:4700::1111]', '[2a00:1450:4001::200e]',
  '[::ffff:8.8.8.8]', '[64:ff9b::808:808]', '[2002:808:808::1]', '[2001:0:4136:e378:8000:63bf:f7f7:f7f7]'];

const signer = new Signer(`whsec_${Buffer.alloc(32, 7).toString('base64')}`);

describe('the address rule', () => {
  it(`refuses ${REFUSED.length} spellings of non-public addresses, naming the rule`, () => {
    expect(REFUSED.length).toBeGreaterThanOrEqual(30);
    for (const [host, rule] of REFUSED) {
      const parsed = hostOf(new URL(`http://${host}:8080/hook`));
      expect(refusedAddressRule(parsed), `${host} (parsed as ${parsed})`).toMatch(rule);
    }
  });

  it('allows public unicast, also inside the IPv6 forms that carry an IPv4', () => {
    for (const host of ALLOWED) expect(refusedAddressRule(hostOf(new URL(`http://${host}/`))), host).toBeNull();
  });

  it('refuses a name that resolves to loopback, unless private networks are allowed', async () => {
    expect(await addressProblem('http://localhost:8080/', false)).toMatch(/^the host resolves to .* is loopback/);
    expect(await addressProblem('http://localhost:8080/', true)).toBeNull();
  });
});

describe('registration', () => {
  const t = useTestApp();

  it('answers 422 naming the rule, for every spelling and for a name', async () => {
    for (const [host, rule] of [...REFUSED, ['localhost', /resolves to .*loopback/] as [string, RegExp]]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/webhooks',
        payload: { url: `http://${host}:8080/hook`, event_types: ['operation.succeeded'] } });
      expect(res.statusCode, `${host}: ${res.body}`).toBe(422);
      const [problem] = (res.json() as { detail: { loc: string[]; msg: string }[] }).detail;
      expect(problem!.loc, host).toEqual(['body', 'url']);
      expect(problem!.msg, host).toMatch(rule);
    }
  });
});

describe('the connection', () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  beforeAll(async () => {
    // Dual-stack: reachable as 127.0.0.1, ::1, ::ffff:127.0.0.1 and 0.0.0.0 alike.
    server = createServer((_req, res) => res.writeHead(200).end());
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '::', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const loopbackSpellings = ['127.0.0.1', '127.1', '2130706433', '0x7f000001', '0177.0.0.1', '0', '0.0.0.0', '[::1]', '[::]',
    '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::127.0.0.1]', 'localhost'];

  it('never reaches a loopback listener, whatever the spelling; the tenant reads a network failure', async () => {
    for (const host of loopbackSpellings) {
      const outcome = await sendSigned(`http://${host}:${port}/hook`, signer, 'evt-ssrf', '{}', 2000, false);
      expect(outcome, host).toMatchObject({ result: 'refused', status: null, error: REFUSED_ERROR });
      expect(outcome.refusedBy, host).toMatch(/loopback|unspecified|IPv4-compatible/);
    }
    expect(connections).toBe(0);
  });

  it('reaches it with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true (so the test above can fail)', async () => {
    const outcome = await sendSigned(`http://127.1:${port}/hook`, signer, 'evt-dev', '{}', 2000, true);
    expect(outcome).toMatchObject({ result: 'success', status: 200 });
    expect(connections).toBeGreaterThan(0);
  });

  it('does not follow a redirect: a 3xx is a failed attempt and its Location gets nothing', async () => {
    let redirectTargetHits = 0;
    const target = createServer((_req, res) => {
      redirectTargetHits++;
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const redirector = createServer((_req, res) =>
      res.writeHead(307, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}/inside` }).end());
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      const outcome = await sendSigned(`http://127.0.0.1:${(redirector.address() as AddressInfo).port}/hook`, signer, 'evt-r', '{}',
        2000, true);
      expect(outcome).toMatchObject({ result: 'http_error', status: 307 });
      expect(redirectTargetHits).toBe(0);
    } finally {
      for (const s of [target, redirector]) {
        s.closeAllConnections();
        await new Promise((resolve) => s.close(resolve));
      }
    }
  });
});
