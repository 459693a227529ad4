/**
 * The SSRF guard on the connection itself: the sender resolves through guardedLookup, so a name
 * that resolves to a private address when the connection is made (DNS rebinding after the check
 * before the run) is refused, and nothing reaches the address.
 */
import { describe, expect, it } from 'vitest';
import { guardedLookup, PRIVATE_ADDRESS_CODE } from '../../src/webhooks/webhook-url.js';
import { sendSigned, Signer } from '../../src/webhooks/webhook-sender.js';
import { startReceiver } from '../support/webhook-receiver.js';

const signer = new Signer(`whsec_${Buffer.alloc(32, 7).toString('base64')}`);

describe('guardedLookup', () => {
  it('refuses a name that resolves to loopback, in both shapes net asks for', async () => {
    for (const all of [false, true]) {
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => guardedLookup('localhost', { all }, (e) => resolve(e)));
      expect(error?.code, `all: ${all}`).toBe(PRIVATE_ADDRESS_CODE);
    }
  });

  it('makes the sender refuse the connection, unless private networks are allowed', async () => {
    const receiver = await startReceiver();
    try {
      const url = receiver.url.replace('127.0.0.1', 'localhost');
      const refused = await sendSigned(url, signer, 'evt-1', '{}', 2000, false);
      expect(refused).toMatchObject({ result: 'refused', status: null });
      expect(receiver.requests).toBe(0);
      const sent = await sendSigned(url, signer, 'evt-2', '{}', 2000, true);
      expect(sent).toMatchObject({ result: 'success' });
      expect(receiver.requests).toBe(1);
    } finally {
      await receiver.close();
    }
  });
});
