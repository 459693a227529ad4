/**
 * HTTPS on the API port (issue 25, item 2): the real server process (`npm start`'s entry) with
 * TLS_CERT_FILE and TLS_KEY_FILE from a CA made at test time. It answers over TLS only, sends
 * Strict-Transport-Security, says so at start, and takes a new certificate on SIGHUP.
 */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { projectRoot } from '../../src/db/migrations.js';
import { freePort } from '../../src/lib/free-port.js';
import { readTlsFiles, TlsFilesError, tlsFilesOf } from '../../src/lib/tls-files.js';
import { httpsOk } from '../../src/lib/wait-for.js';
import { ensureSelfSignedCertificate } from '../../tools/stack/tls-certificate.js';
import { makeTestCa, type TestCa } from '../support/test-ca.js';
import { authRequired, bearer, makeKey, newTenant, waitFor } from '../support/test-app.js';

const home = mkdtempSync(join(tmpdir(), 'wallet-tls-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function get(url: string, options: https.RequestOptions = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { timeout: 5000, ...options }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end();
  });
}

/** The serial number of the certificate a new TLS connection is served. */
function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()?.serialNumber ?? '');
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('HTTPS on the API port', () => {
  let ca: TestCa;
  let port: number;
  let base: string;
  let server: ReturnType<typeof spawn>;
  let output = '';
  const certFile = join(home, 'served-cert.pem');
  const keyFile = join(home, 'served-key.pem');

  beforeAll(async () => {
    ca = makeTestCa(home);
    const first = ca.issue('first');
    copyFileSync(first.certFile, certFile);
    copyFileSync(first.keyFile, keyFile);
    port = await freePort();
    base = `https://127.0.0.1:${port}`;
    server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: inject('databaseUrl'), MIGRATE_ON_START: 'false', HOST: '127.0.0.1',
        PORT: String(port), LOG_LEVEL: 'warn', TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    server.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    await waitFor(async () => (await httpsOk(`${base}/health`, ca.cert)()) ?? undefined, 90_000, 'the server over HTTPS')
      .catch((error: Error) => { throw new Error(`${error.message}; its output:\n${output}`); });
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });

  it('serves the API over TLS with Strict-Transport-Security, and says so at start', async () => {
    expect(output).toContain(`serving on https://127.0.0.1:${port}`);
    expect(output).toMatch(/TLS: certificate CN=first, valid until \S+; Strict-Transport-Security: on/);
    const health = await get(`${base}/health`, { ca: ca.cert });
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toBe('max-age=31536000');
    if (authRequired) {
      const key = bearer((await makeKey(newTenant())).key);
      const created = await get(`${base}/api/v1/wallets`, { ca: ca.cert, method: 'POST', headers: key });
      expect(created.status).toBe(200);
      const wallet = JSON.parse(created.body) as { id: string; balance: string };
      expect((await get(`${base}/api/v1/wallets/${wallet.id}`, { ca: ca.cert, headers: key })).body).toContain('"balance":"0.00"');
    }
  });

  it('refuses clients that do not trust the CA, and plain HTTP gets no answer', async () => {
    await expect(get(`${base}/health`)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    await expect(fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
  });

  it('takes a new certificate on SIGHUP, and keeps the current one when the new files cannot serve', async () => {
    const second = ca.issue('second');
    const secondSerial = new X509Certificate(second.cert).serialNumber;
    expect(await servedSerial(port, ca.cert)).not.toBe(secondSerial);
    // A wrong pair first: the certificate of `second` with the key of `first` stays unused.
    copyFileSync(second.certFile, certFile);
    server.kill('SIGHUP');
    await waitFor(async () => (output.includes('SIGHUP: kept the current TLS certificate') ? true : undefined), 10_000, 'the refusal');
    expect(await servedSerial(port, ca.cert)).not.toBe(secondSerial);
    copyFileSync(second.keyFile, keyFile);
    server.kill('SIGHUP');
    await waitFor(async () => ((await servedSerial(port, ca.cert)) === secondSerial ? true : undefined), 10_000, 'the new certificate');
    expect(output).toContain('SIGHUP: TLS certificate reloaded: CN=second');
    expect(server.exitCode).toBeNull();
  });
});

describe('TLS settings and files', () => {
  it('wants both files or neither', () => {
    expect(() => loadConfig({ TLS_CERT_FILE: '/x.pem' })).toThrow(/set both TLS_CERT_FILE and TLS_KEY_FILE, or neither/);
    expect(() => loadConfig({ TLS_KEY_FILE: '/y.pem' })).toThrow(/set both TLS_CERT_FILE and TLS_KEY_FILE, or neither/);
    expect(tlsFilesOf(loadConfig({ TLS_CERT_FILE: '/x.pem', TLS_KEY_FILE: '/y.pem' }))).toEqual({ certFile: '/x.pem', keyFile: '/y.pem' });
    expect(tlsFilesOf(loadConfig({}))).toBeNull();
  });

  it('refuses unreadable files, a key of another certificate and an expired certificate, each by name', () => {
    const dir = mkdtempSync(join(home, 'files-'));
    const ca = makeTestCa(dir);
    const a = ca.issue('a');
    const b = ca.issue('b');
    expect(readTlsFiles({ certFile: a.certFile, keyFile: a.keyFile })).toMatchObject({ subject: 'CN=a' });
    expect(() => readTlsFiles({ certFile: join(dir, 'missing.pem'), keyFile: a.keyFile })).toThrow(/TLS_CERT_FILE .*missing\.pem: cannot read it \(ENOENT\)/);
    expect(() => readTlsFiles({ certFile: a.certFile, keyFile: b.keyFile })).toThrow(TlsFilesError);
    expect(() => readTlsFiles({ certFile: a.certFile, keyFile: b.keyFile })).toThrow(/is not the key of the certificate/);
    expect(() => readTlsFiles({ certFile: a.keyFile, keyFile: a.keyFile })).toThrow(/not a PEM certificate/);
    expect(() => readTlsFiles({ certFile: a.certFile, keyFile: a.keyFile }, Date.now() + 3 * 86_400_000)).toThrow(/expired/);
  });

  it('npm run stack -- --tls: a self-signed certificate for localhost, key mode 0600, made once', () => {
    const dir = join(home, 'stack');
    const said: string[] = [];
    const files = ensureSelfSignedCertificate(dir, (m) => said.push(m));
    const material = readTlsFiles(files);
    const cert = new X509Certificate(material.cert);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(statSync(files.keyFile).mode & 0o777).toBe(0o600);
    expect(material.validTo.getTime() - Date.now()).toBeGreaterThan(800 * 86_400_000);
    expect(ensureSelfSignedCertificate(dir, (m) => said.push(m))).toEqual(files);
    expect(said).toHaveLength(1); // the second call reused it
  });
});
