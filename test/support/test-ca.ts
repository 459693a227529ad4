/**
 * A certificate authority made at test time with openssl, and server certificates it signs:
 * tests of TLS trust it by name (`ca`), as a client of a deployment trusts its CA.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCa {
  /** The CA certificate (PEM). */
  cert: string;
  /** A server certificate for 127.0.0.1 and localhost signed by the CA: files under the CA's directory. */
  issue(name: string): { certFile: string; keyFile: string; cert: string };
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

export function makeTestCa(dir: string): TestCa {
  const caKey = join(dir, 'ca-key.pem');
  const caCert = join(dir, 'ca-cert.pem');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=wallet-service test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign',
    '-keyout', caKey, '-out', caCert]);
  return {
    cert: readFileSync(caCert, 'utf8'),
    issue(name) {
      const keyFile = join(dir, `${name}-key.pem`);
      const csr = join(dir, `${name}.csr`);
      const certFile = join(dir, `${name}-cert.pem`);
      const ext = join(dir, `${name}.ext`);
      openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`,
        '-keyout', keyFile, '-out', csr]);
      writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
      openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', certFile]);
      return { certFile, keyFile, cert: readFileSync(certFile, 'utf8') };
    },
  };
}
