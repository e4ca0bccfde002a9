/** Classifies how a connection reaches its peer, from the remote multiaddr. */
import type { PeerTransport } from '../core/index.js';

function isPrivateIpv4(ip: string): boolean {
  const parts = ip.split('.').map(Number);
  const [a, b] = parts;
  if (parts.length !== 4 || a === undefined || b === undefined) return false;
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254)
  );
}

function isPrivateIpv6(ip: string): boolean {
  const lower = ip.toLowerCase();
  return lower === '::1' || lower.startsWith('fe80:') || lower.startsWith('fc') || lower.startsWith('fd');
}

/** `relayed` through a circuit relay, `lan` for private/loopback/link-local addresses, else `direct`. */
export function transportKind(remoteAddr: string): PeerTransport {
  if (remoteAddr.includes('/p2p-circuit')) return 'relayed';
  const ip4 = /^\/ip4\/([^/]+)/.exec(remoteAddr)?.[1];
  if (ip4 !== undefined) return isPrivateIpv4(ip4) ? 'lan' : 'direct';
  const ip6 = /^\/ip6\/([^/]+)/.exec(remoteAddr)?.[1];
  if (ip6 !== undefined) return isPrivateIpv6(ip6) ? 'lan' : 'direct';
  return 'direct';
}
