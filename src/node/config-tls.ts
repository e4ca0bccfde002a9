/**
 * The `tls` section read from disk: the owner's certificate and key for HTTPS on the API and WSS on
 * the mesh WebSocket listener. Read once when the node starts; both keys or neither, each file
 * readable and holding what its key says, and the key belonging to the certificate — anything else
 * is a `TlsConfigError` that names the key and the file.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { ResolvedConfig } from '../core/index.js';
import { TlsConfigError } from '../core/index.js';

/** The certificate and key, as PEM text, with where they came from. */
export interface TlsFiles {
  /** Absolute path of `tls.cert_file`. */
  readonly certFile: string;
  /** Absolute path of `tls.key_file`. */
  readonly keyFile: string;
  /** The certificate (and any chain after it), PEM. */
  readonly cert: string;
  /** The private key, PEM. */
  readonly key: string;
  /** The leaf certificate's subject alternative names as OpenSSL prints them (`DNS:a, IP Address:b`). */
  readonly subjectAltName: string;
  /** When the leaf certificate expires (ms since the epoch). */
  readonly validToMs: number;
}

/**
 * A path from the config: `~` and `~/x` are under the user's home, a relative path is relative to
 * the Atmosphere home `homeDir`, an absolute one stays.
 */
export function resolveConfigPath(path: string, homeDir: string, userHome: string = homedir()): string {
  if (path === '~') return userHome;
  if (path.startsWith('~/')) return join(userHome, path.slice(2));
  return isAbsolute(path) ? path : resolve(homeDir, path);
}

function readPem(key: 'tls.cert_file' | 'tls.key_file', path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (err as Error).message;
    throw new TlsConfigError(`${key}: cannot read ${path}: ${why}`, { cause: err, details: { key, path } });
  }
}

/**
 * Reads `tls.cert_file` and `tls.key_file`; null when neither is set (plain HTTP and WS). Relative
 * paths resolve against `homeDir` (the Atmosphere home).
 */
export function loadTlsFiles(
  tls: ResolvedConfig['tls'],
  homeDir: string,
  userHome: string = homedir(),
): TlsFiles | null {
  const { cert_file: certSetting, key_file: keySetting } = tls;
  if (certSetting === null && keySetting === null) return null;
  if (certSetting === null || keySetting === null) {
    const [set, missing] =
      certSetting === null ? ['tls.key_file', 'tls.cert_file'] : ['tls.cert_file', 'tls.key_file'];
    throw new TlsConfigError(
      `${missing}: not set, but ${set} is: HTTPS needs both a certificate and its private key (set both, or neither for plain HTTP)`,
      { details: { key: missing } },
    );
  }
  const certFile = resolveConfigPath(certSetting, homeDir, userHome);
  const keyFile = resolveConfigPath(keySetting, homeDir, userHome);
  const cert = readPem('tls.cert_file', certFile);
  const key = readPem('tls.key_file', keyFile);

  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new TlsConfigError(
      `tls.cert_file: ${certFile} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`,
      { cause: err, details: { key: 'tls.cert_file', path: certFile } },
    );
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new TlsConfigError(
      `tls.key_file: ${keyFile} holds no unencrypted PEM private key (expected "-----BEGIN PRIVATE KEY-----" or the like)`,
      { cause: err, details: { key: 'tls.key_file', path: keyFile } },
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new TlsConfigError(
      `tls.key_file: ${keyFile} is not the private key of the certificate in ${certFile} (tls.cert_file)`,
      { details: { key: 'tls.key_file', path: keyFile } },
    );
  }
  return {
    certFile,
    keyFile,
    cert,
    key,
    subjectAltName: leaf.subjectAltName ?? '',
    validToMs: Date.parse(leaf.validTo),
  };
}
