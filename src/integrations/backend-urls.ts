/**
 * Where the local model servers are. Ollama's URL follows Ollama's own `OLLAMA_HOST` convention
 * (what its CLI accepts: `0.0.0.0`, `127.0.0.1:11435`, `:11435`, `http://host`, `https://host:8443/path`)
 * so a node finds the same server the `ollama` command talks to. These functions are pure: the
 * caller passes the environment value in (only config resolution reads `process.env`).
 */

export const DEFAULT_OLLAMA_URL = 'http://127.0.0.1:11434';
export const DEFAULT_LLAMAFARM_URL = 'http://127.0.0.1:14345';

const OLLAMA_DEFAULT_PORT = '11434';

/** Wildcard bind addresses are not something to dial: use loopback instead. */
function dialableHost(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host;
}

/**
 * The URL an `OLLAMA_HOST` value points at, with Ollama's defaults: scheme `http`, host
 * `127.0.0.1`, port 11434 when no scheme is given (80/443 when `http://`/`https://` is).
 */
export function ollamaUrlFromHost(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') return DEFAULT_OLLAMA_URL;
  let scheme = 'http';
  let rest = trimmed;
  let defaultPort = OLLAMA_DEFAULT_PORT;
  const sep = trimmed.indexOf('://');
  if (sep >= 0) {
    scheme = trimmed.slice(0, sep).toLowerCase();
    rest = trimmed.slice(sep + 3);
    if (scheme === 'http') defaultPort = '80';
    else if (scheme === 'https') defaultPort = '443';
  }
  const slash = rest.indexOf('/');
  const hostport = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash).replace(/\/+$/, '') : '';

  let host: string;
  let port: string;
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(hostport);
  if (bracketed !== null) {
    host = `[${bracketed[1]}]`;
    port = bracketed[2] === undefined || bracketed[2] === '' ? defaultPort : bracketed[2];
  } else if ((hostport.match(/:/g) ?? []).length === 1) {
    const colon = hostport.indexOf(':');
    host = hostport.slice(0, colon);
    port = hostport.slice(colon + 1) || defaultPort;
  } else if (hostport.includes(':')) {
    // A bare IPv6 address.
    host = `[${hostport}]`;
    port = defaultPort;
  } else {
    host = hostport;
    port = defaultPort;
  }
  const portNumber = Number(port);
  if (!/^\d+$/.test(port) || portNumber > 65535) {
    host = '127.0.0.1';
    port = defaultPort;
  }
  return `${scheme}://${dialableHost(host)}:${port}${path}`;
}

/**
 * Ollama's URL for a node: the configured one if set, else `OLLAMA_HOST`, else the default. The
 * config wins so that several nodes on one machine can each use their own Ollama.
 */
export function resolveOllamaUrl(sources: {
  readonly configUrl?: string | null;
  readonly ollamaHostEnv?: string | null;
}): string {
  const configured = sources.configUrl?.trim();
  if (configured !== undefined && configured !== '') return configured.replace(/\/+$/, '');
  const env = sources.ollamaHostEnv?.trim();
  if (env !== undefined && env !== '') return ollamaUrlFromHost(env);
  return DEFAULT_OLLAMA_URL;
}
