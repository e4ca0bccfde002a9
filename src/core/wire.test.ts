import { describe, expect, it } from 'vitest';
import { MalformedMessageError } from './errors.js';
import {
  WireReader,
  WireWriter,
  fromBase58btc,
  fromBase64Url,
  fromHex,
  fromUtf8,
  toBase32,
  toBase58btc,
  toBase64Url,
  toHex,
} from './wire.js';

function randomBytes(length: number, seed: number): Uint8Array {
  let state = seed;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

describe('WireWriter and WireReader', () => {
  it('round-trips varints across the safe-integer range', () => {
    const values = [
      0,
      1,
      127,
      128,
      255,
      300,
      16_383,
      16_384,
      2 ** 31,
      2 ** 32 + 5,
      1_700_000_000_000,
      Number.MAX_SAFE_INTEGER,
    ];
    const writer = new WireWriter();
    for (const value of values) writer.uvarint(value);
    const reader = new WireReader(writer.finish());
    for (const value of values) expect(reader.uvarint()).toBe(value);
    reader.end();
  });

  it('rejects a non-canonical varint so every value has one encoding', () => {
    expect(() => new WireReader(new Uint8Array([0x80, 0x00])).uvarint()).toThrow(MalformedMessageError);
    expect(() => new WireReader(new Uint8Array([0x81, 0x80, 0x00])).uvarint()).toThrow(/non-canonical/);
  });

  it('rejects varints that are too long, too large or truncated', () => {
    expect(() => new WireReader(new Uint8Array(9).fill(0xff)).uvarint()).toThrow(MalformedMessageError);
    expect(() =>
      new WireReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])).uvarint(),
    ).toThrow(/too large/);
    expect(() => new WireReader(new Uint8Array([0x80])).uvarint()).toThrow(/truncated/);
    expect(() => new WireReader(new Uint8Array([10])).uvarint('uses', 5)).toThrow(/at most 5/);
  });

  it('round-trips strings and bytes and refuses lengths over the limit', () => {
    const bytes = new WireWriter()
      .string('héllo ☁')
      .bytes(new Uint8Array([1, 2, 3]))
      .finish();
    const reader = new WireReader(bytes);
    expect(reader.string()).toBe('héllo ☁');
    expect(reader.bytes()).toEqual(new Uint8Array([1, 2, 3]));
    reader.end();
    expect(() => new WireReader(new WireWriter().string('abcdef').finish()).string('name', 4)).toThrow(
      /at most 4/,
    );
  });

  it('rejects invalid UTF-8 and trailing bytes', () => {
    expect(() => fromUtf8(new Uint8Array([0xc3, 0x28]))).toThrow(MalformedMessageError);
    const reader = new WireReader(new Uint8Array([1, 2]));
    reader.u8();
    expect(() => reader.end()).toThrow(/trailing/);
  });
});

describe('text codecs', () => {
  it('round-trips random bytes through base64url, base58btc and hex', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = randomBytes(length, length + 1);
      expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
      expect(fromBase58btc(toBase58btc(bytes))).toEqual(bytes);
      expect(fromHex(toHex(bytes))).toEqual(bytes);
    }
    expect(fromBase58btc(toBase58btc(new Uint8Array([0, 0, 1])))).toEqual(new Uint8Array([0, 0, 1]));
  });

  it('encodes base64url like the standard alphabet without padding', () => {
    expect(toBase64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
    expect(toBase64Url(new TextEncoder().encode('ab'))).toBe('YWI');
  });

  it('rejects base64url with foreign characters, padding or non-canonical trailing bits', () => {
    expect(() => fromBase64Url('YW=')).toThrow(MalformedMessageError);
    expect(() => fromBase64Url('Y')).toThrow(MalformedMessageError);
    expect(() => fromBase64Url('YWJ')).toThrow(/non-canonical/);
    expect(() => fromBase64Url('ab+/')).toThrow(MalformedMessageError);
  });

  it('encodes RFC 4648 base32 test vectors in lowercase', () => {
    expect(toBase32(new TextEncoder().encode('foobar'))).toBe('mzxw6ytboi');
    expect(toBase32(new TextEncoder().encode('f'))).toBe('my');
  });

  it('rejects base58 characters outside the alphabet and bad hex', () => {
    expect(() => fromBase58btc('0OIl')).toThrow(MalformedMessageError);
    expect(() => fromHex('abc')).toThrow(MalformedMessageError);
    expect(() => fromHex('zz')).toThrow(MalformedMessageError);
  });
});
