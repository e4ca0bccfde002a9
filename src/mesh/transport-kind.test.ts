import { describe, expect, it } from 'vitest';
import { transportKind } from './transport-kind.js';

describe('transportKind', () => {
  it('tells relayed, LAN and direct connections apart', () => {
    expect(transportKind('/ip4/1.2.3.4/tcp/1/p2p/QmA/p2p-circuit/p2p/QmB')).toBe('relayed');
    expect(transportKind('/ip4/192.168.1.4/tcp/7471')).toBe('lan');
    expect(transportKind('/ip4/10.0.0.2/tcp/7471/ws')).toBe('lan');
    expect(transportKind('/ip4/172.20.0.2/tcp/7471')).toBe('lan');
    expect(transportKind('/ip4/127.0.0.1/tcp/7471')).toBe('lan');
    expect(transportKind('/ip6/::1/tcp/7471')).toBe('lan');
    expect(transportKind('/ip6/fe80::1/tcp/7471')).toBe('lan');
    expect(transportKind('/ip4/172.32.0.1/tcp/7471')).toBe('direct');
    expect(transportKind('/ip4/8.8.8.8/tcp/7471')).toBe('direct');
    expect(transportKind('/ip6/2001:db8::1/tcp/7471')).toBe('direct');
    expect(transportKind('/dns4/example.com/tcp/443/wss')).toBe('direct');
  });
});
