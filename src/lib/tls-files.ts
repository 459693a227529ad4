/**
 * The API's certificate and key (TLS_CERT_FILE, TLS_KEY_FILE), read and checked before the server
 * uses them: a file that cannot be read, a key that does not belong to the certificate, or a
 * certificate already expired is a clear message at start (or on SIGHUP), never a TLS handshake
 * failure at the first client.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsMaterial {
  /** PEM text as read: the certificate, then any intermediates. */
  cert: string;
  key: string;
  subject: string;
  validTo: Date;
}

export class TlsFilesError extends Error {}

/** The files from the settings (both set, or neither: a rule of the config), or null for plain HTTP. */
export function tlsFilesOf(settings: { tlsCertFile: string | undefined; tlsKeyFile: string | undefined }): TlsFiles | null {
  const { tlsCertFile: certFile, tlsKeyFile: keyFile } = settings;
  return certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : null;
}

export function readTlsFiles(files: TlsFiles, nowMs = Date.now()): TlsMaterial {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new TlsFilesError(`${what} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const cert = read(files.certFile, 'TLS_CERT_FILE');
  const key = read(files.keyFile, 'TLS_KEY_FILE');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert); // the first certificate of the file: the server's own
  } catch {
    throw new TlsFilesError(`TLS_CERT_FILE ${files.certFile}: not a PEM certificate`);
  }
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(key));
  } catch {
    throw new TlsFilesError(`TLS_KEY_FILE ${files.keyFile}: not a PEM private key (an encrypted key is not supported)`);
  }
  if (!matches) throw new TlsFilesError(`TLS_KEY_FILE ${files.keyFile} is not the key of the certificate in ${files.certFile}`);
  const validTo = new Date(leaf.validTo);
  if (validTo.getTime() <= nowMs) throw new TlsFilesError(`TLS_CERT_FILE ${files.certFile}: the certificate expired on ${validTo.toISOString()}`);
  return { cert, key, subject: leaf.subject.replace(/\n/g, ', '), validTo };
}
