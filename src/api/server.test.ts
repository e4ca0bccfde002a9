import { describe, expect, it } from 'vitest';
import { httpUrl, isLoopbackHost } from './server.js';

describe('isLoopbackHost', () => {
  it('accepts loopback names and addresses', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      'localhost',
      'LOCALHOST',
      'app.localhost',
      '::ffff:127.0.0.1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it('rejects wildcard and routable addresses', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'fe80::1', 'example.com', '128.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});

describe('httpUrl', () => {
  it('puts IPv6 hosts in brackets', () => {
    expect(httpUrl('::1', 7470)).toBe('http://[::1]:7470');
    expect(httpUrl('127.0.0.1', 7470)).toBe('http://127.0.0.1:7470');
  });
});
