import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { phoneOrigins } from './create-node.js';

const iface = (address: string, internal = false, family: 'IPv4' | 'IPv6' = 'IPv4'): NetworkInterfaceInfo =>
  ({ address, internal, family, netmask: '', mac: '', cidr: null }) as NetworkInterfaceInfo;

describe('phoneOrigins', () => {
  it('says a loopback API can only be opened on this machine', () => {
    expect(phoneOrigins('127.0.0.1', 7470, {})).toEqual({ origins: ['http://127.0.0.1:7470'], local: true });
    expect(phoneOrigins('localhost', 7470, {})).toEqual({ origins: ['http://127.0.0.1:7470'], local: true });
  });

  it('lists every LAN IPv4 address when the API listens on all of them', () => {
    const interfaces = {
      lo: [iface('127.0.0.1', true)],
      eth0: [iface('192.168.1.20'), iface('fe80::1', false, 'IPv6')],
      wlan0: [iface('10.0.0.5')],
    };
    expect(phoneOrigins('0.0.0.0', 7470, interfaces)).toEqual({
      origins: ['http://192.168.1.20:7470', 'http://10.0.0.5:7470'],
      local: false,
    });
  });

  it('uses a specific bind address as it is, and falls back to loopback with no LAN interface', () => {
    expect(phoneOrigins('192.168.1.20', 8080, {})).toEqual({
      origins: ['http://192.168.1.20:8080'],
      local: false,
    });
    expect(phoneOrigins('0.0.0.0', 7470, { lo: [iface('127.0.0.1', true)] })).toEqual({
      origins: ['http://127.0.0.1:7470'],
      local: true,
    });
  });
});
