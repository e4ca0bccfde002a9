/**
 * Certificates for the TLS tests, made by the real `openssl` into a temp directory: a self-signed
 * one (what an owner makes with one command), and a private CA with a leaf it issued (what mkcert
 * makes). Every certificate names 127.0.0.1 unless told otherwise; EC P-256, valid for 2 days.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL = '/usr/bin/openssl';

export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

/** Fails with what is missing when there is no openssl (`.ci/apt-packages` lists it). */
function requireOpenssl(): void {
  if (!existsSync(OPENSSL)) {
    throw new Error(
      `${OPENSSL} is missing: the TLS tests make their certificates with it (apt-get install openssl)`,
    );
  }
}

function openssl(args: readonly string[]): void {
  execFileSync(OPENSSL, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function read(certFile: string, keyFile: string): TestCertificate {
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/** A temp directory for certificates; `cleanup` removes it. */
export function certDir(): { dir: string; cleanup: () => void } {
  requireOpenssl();
  const dir = mkdtempSync(join(tmpdir(), 'atm-tls-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A self-signed certificate `<name>.pem` with key `<name>-key.pem` in `dir`. */
export function selfSignedCertificate(
  dir: string,
  options: { name?: string; subjectAltName?: string; commonName?: string } = {},
): TestCertificate {
  const name = options.name ?? 'node';
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  openssl([
    'req',
    '-x509',
    ...EC,
    '-days',
    '2',
    '-subj',
    `/CN=${options.commonName ?? 'atmosphere-test'}`,
    '-addext',
    `subjectAltName=${options.subjectAltName ?? 'IP:127.0.0.1'}`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return read(certFile, keyFile);
}

/**
 * A private CA (`ca.pem`) and a leaf it issued (`leaf.pem`, `leaf-key.pem`) for `subjectAltName`,
 * the way mkcert makes them.
 */
export function caIssuedCertificate(
  dir: string,
  options: { subjectAltName?: string } = {},
): { ca: TestCertificate; leaf: TestCertificate } {
  const ca = { certFile: join(dir, 'ca.pem'), keyFile: join(dir, 'ca-key.pem') };
  openssl([
    'req',
    '-x509',
    ...EC,
    '-days',
    '2',
    '-subj',
    '/CN=atmosphere-test-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
    '-keyout',
    ca.keyFile,
    '-out',
    ca.certFile,
  ]);
  const leaf = { certFile: join(dir, 'leaf.pem'), keyFile: join(dir, 'leaf-key.pem') };
  const csr = join(dir, 'leaf.csr');
  const ext = join(dir, 'leaf.ext');
  openssl(['req', ...EC, '-subj', '/CN=atmosphere-test-leaf', '-keyout', leaf.keyFile, '-out', csr]);
  writeFileSync(ext, `subjectAltName=${options.subjectAltName ?? 'IP:127.0.0.1'}\n`);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    leaf.certFile,
  ]);
  return { ca: read(ca.certFile, ca.keyFile), leaf: read(leaf.certFile, leaf.keyFile) };
}
