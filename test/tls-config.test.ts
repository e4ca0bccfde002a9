/**
 * The `tls` config section: read from the file and the environment, resolved against the
 * Atmosphere home, and checked when the node starts (both keys or neither, readable PEM files, a
 * key that belongs to the certificate), with errors that name the key.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsConfigError } from '../src/core/index.js';
import { loadTlsFiles, resolveConfigPath } from '../src/node/config-tls.js';
import { resolveConfig } from '../src/node/config-file.js';
import type { TestCertificate } from './tls-fixtures.js';
import { certDir, selfSignedCertificate } from './tls-fixtures.js';

let dir: { dir: string; cleanup: () => void };
let cert: TestCertificate;
let other: TestCertificate;

beforeAll(() => {
  dir = certDir();
  cert = selfSignedCertificate(dir.dir, { subjectAltName: 'IP:127.0.0.1,DNS:atm.home.test' });
  other = selfSignedCertificate(dir.dir, { name: 'other' });
});
afterAll(() => dir.cleanup());

function caught(fn: () => unknown): TlsConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TlsConfigError);
    return err as TlsConfigError;
  }
  throw new Error('expected a TlsConfigError');
}

describe('the tls config section', () => {
  it('is off by default and takes both paths from ATMOSPHERE_TLS__* variables', () => {
    expect(resolveConfig({}).config.tls).toEqual({ cert_file: null, key_file: null });
    const { config } = resolveConfig({
      env: { ATMOSPHERE_TLS__CERT_FILE: 'tls/cert.pem', ATMOSPHERE_TLS__KEY_FILE: '/etc/atm/key.pem' },
    });
    expect(config.tls).toEqual({ cert_file: 'tls/cert.pem', key_file: '/etc/atm/key.pem' });
  });

  it('rejects an unknown key in the section, naming it', () => {
    expect(() => resolveConfig({ env: { ATMOSPHERE_TLS__CERT: 'x.pem' } })).toThrow(/tls\.cert.*unknown key/);
  });
});

describe('loadTlsFiles', () => {
  it('returns null when neither file is set', () => {
    expect(loadTlsFiles({ cert_file: null, key_file: null }, dir.dir)).toBeNull();
  });

  it('reads the certificate and its key, with the names it is valid for', () => {
    const files = loadTlsFiles({ cert_file: cert.certFile, key_file: cert.keyFile }, '/nowhere');
    expect(files).toMatchObject({
      certFile: cert.certFile,
      keyFile: cert.keyFile,
      cert: cert.cert,
      key: cert.key,
    });
    expect(files?.subjectAltName).toContain('DNS:atm.home.test');
    expect(files?.subjectAltName).toContain('IP Address:127.0.0.1');
    // -days 2
    const days = ((files?.validToMs ?? 0) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(1.9);
    expect(days).toBeLessThan(2.1);
  });

  it('resolves relative paths against the Atmosphere home and ~/ against the user home', () => {
    const home = join(dir.dir, 'home');
    mkdirSync(join(home, 'tls'), { recursive: true });
    copyFileSync(cert.certFile, join(home, 'tls', 'cert.pem'));
    copyFileSync(cert.keyFile, join(home, 'tls', 'key.pem'));
    const files = loadTlsFiles({ cert_file: 'tls/cert.pem', key_file: './tls/key.pem' }, home);
    expect(files?.certFile).toBe(join(home, 'tls', 'cert.pem'));
    expect(files?.keyFile).toBe(join(home, 'tls', 'key.pem'));
    expect(files?.cert).toBe(cert.cert);

    expect(resolveConfigPath('~/certs/a.pem', '/atm', '/home/me')).toBe('/home/me/certs/a.pem');
    expect(resolveConfigPath('certs/a.pem', '/atm', '/home/me')).toBe('/atm/certs/a.pem');
    expect(resolveConfigPath('/etc/a.pem', '/atm', '/home/me')).toBe('/etc/a.pem');
  });

  it('refuses a certificate without a key, and a key without a certificate, naming the missing key', () => {
    const noKey = caught(() => loadTlsFiles({ cert_file: cert.certFile, key_file: null }, dir.dir));
    expect(noKey.code).toBe('tls_config_invalid');
    expect(noKey.category).toBe('config');
    expect(noKey.message).toMatch(/^tls\.key_file: not set, but tls\.cert_file is/);
    expect(noKey.details).toEqual({ key: 'tls.key_file' });

    const noCert = caught(() => loadTlsFiles({ cert_file: null, key_file: cert.keyFile }, dir.dir));
    expect(noCert.message).toMatch(/^tls\.cert_file: not set, but tls\.key_file is/);
  });

  it('names the key and the path of a file that does not exist', () => {
    const missing = join(dir.dir, 'missing.pem');
    const err = caught(() => loadTlsFiles({ cert_file: missing, key_file: cert.keyFile }, dir.dir));
    expect(err.message).toBe(`tls.cert_file: cannot read ${missing}: no such file`);
    expect(err.details).toEqual({ key: 'tls.cert_file', path: missing });

    const relative = caught(() => loadTlsFiles({ cert_file: cert.certFile, key_file: 'nope.pem' }, dir.dir));
    expect(relative.message).toBe(`tls.key_file: cannot read ${join(dir.dir, 'nope.pem')}: no such file`);
  });

  it('refuses a file that holds no certificate or no key, and a key of another certificate', () => {
    const junk = join(dir.dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    expect(caught(() => loadTlsFiles({ cert_file: junk, key_file: cert.keyFile }, dir.dir)).message).toBe(
      `tls.cert_file: ${junk} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`,
    );
    // the certificate where the key should be
    expect(
      caught(() => loadTlsFiles({ cert_file: cert.certFile, key_file: cert.certFile }, dir.dir)).message,
    ).toMatch(/^tls\.key_file: .* holds no unencrypted PEM private key/);
    expect(
      caught(() => loadTlsFiles({ cert_file: cert.certFile, key_file: other.keyFile }, dir.dir)).message,
    ).toBe(
      `tls.key_file: ${other.keyFile} is not the private key of the certificate in ${cert.certFile} (tls.cert_file)`,
    );
  });
});
