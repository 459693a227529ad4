/**
 * `npm run stack -- --tls`: a self-signed certificate for localhost (127.0.0.1, ::1), made once
 * with openssl in the stack's directory and reused until it is within `renewBeforeDays` of its
 * end. The key is mode 0600. For local use only: clients trust it by name (curl --cacert, Node's
 * `ca`), never by a system store; a deployment uses a certificate from its CA (docs/deploy.md).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const validityDays = 825; // the longest a browser accepts for a TLS server certificate
const renewBeforeDays = 30;

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

export function ensureSelfSignedCertificate(dir: string, say: (message: string) => void): CertificateFiles {
  const files = { certFile: join(dir, 'tls-cert.pem'), keyFile: join(dir, 'tls-key.pem') };
  if (existsSync(files.certFile) && existsSync(files.keyFile)) {
    const validTo = new Date(new X509Certificate(readFileSync(files.certFile)).validTo);
    if (validTo.getTime() - Date.now() > renewBeforeDays * 86_400_000) return files;
    say(`the self-signed certificate ends on ${validTo.toISOString()}: making a new one`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-days', String(validityDays), '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth',
      '-keyout', files.keyFile, '-out', files.certFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl could not make a self-signed certificate${stderr ? `: ${stderr}` : ` (${(error as Error).message})`}`);
  }
  chmodSync(files.keyFile, 0o600);
  say(`made a self-signed certificate for localhost, valid ${validityDays} days: ${files.certFile} (key ${files.keyFile}, mode 0600)`);
  return files;
}
