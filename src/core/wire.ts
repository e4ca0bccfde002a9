/**
 * Small, deterministic binary encoding shared by every signed format (invite tokens, membership
 * credentials, revocation entries, gossip envelopes), plus the text codecs they travel in
 * (base64url, base32, base58btc, hex). Pure TypeScript: no `node:*`, no Buffer.
 *
 * Primitives (docs/PROTOCOLS.md, "Encoding"):
 * - `uvarint`: unsigned LEB128, at most 8 bytes, value <= 2^53 - 1, canonical (no redundant
 *   trailing zero groups) so every value has exactly one encoding;
 * - `bytes`: uvarint length, then the bytes;
 * - `string`: `bytes` holding strict UTF-8;
 * - `fixed(n)`: exactly n raw bytes.
 *
 * The reader throws `MalformedMessageError` on any violation (truncation, overlong varint, bad
 * UTF-8, a length over its limit, trailing bytes). Format decoders catch it and throw their own
 * error class, so callers see one clear error per format.
 */
import { MalformedMessageError } from './errors.js';

const MAX_VARINT_BYTES = 8;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Strict UTF-8 decoding: invalid sequences throw `MalformedMessageError`. */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (err) {
    throw new MalformedMessageError('invalid UTF-8', { cause: err });
  }
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Appends primitives to a growing buffer; `finish()` returns the encoded bytes. */
export class WireWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  u8(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`not a byte: ${value}`);
    this.ensure(1);
    this.buffer[this.length++] = value;
    return this;
  }

  uvarint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`not an unsigned safe integer: ${value}`);
    this.ensure(MAX_VARINT_BYTES);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
    return this;
  }

  fixed(bytes: Uint8Array, size: number): this {
    if (bytes.length !== size) throw new RangeError(`expected ${size} bytes, got ${bytes.length}`);
    this.ensure(size);
    this.buffer.set(bytes, this.length);
    this.length += size;
    return this;
  }

  bytes(bytes: Uint8Array): this {
    this.uvarint(bytes.length);
    return this.fixed(bytes, bytes.length);
  }

  string(text: string): this {
    return this.bytes(utf8(text));
  }

  /** A copy of everything written so far. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** Reads primitives with strict bounds; every violation is a `MalformedMessageError`. */
export class WireReader {
  private readonly data: Uint8Array;
  private offset = 0;

  constructor(data: Uint8Array) {
    this.data = data;
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }

  u8(what = 'byte'): number {
    const value = this.data[this.offset];
    if (value === undefined) throw new MalformedMessageError(`truncated: missing ${what}`);
    this.offset += 1;
    return value;
  }

  uvarint(what = 'integer', max = Number.MAX_SAFE_INTEGER): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = this.u8(what);
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) throw new MalformedMessageError(`non-canonical varint in ${what}`);
        if (!Number.isSafeInteger(value)) throw new MalformedMessageError(`${what} is too large`);
        if (value > max) throw new MalformedMessageError(`${what} is ${value}, at most ${max} allowed`);
        return value;
      }
      scale *= 0x80;
    }
    throw new MalformedMessageError(`varint too long in ${what}`);
  }

  fixed(size: number, what = 'bytes'): Uint8Array {
    if (this.remaining < size) throw new MalformedMessageError(`truncated: ${what} needs ${size} bytes`);
    const out = this.data.slice(this.offset, this.offset + size);
    this.offset += size;
    return out;
  }

  bytes(what = 'bytes', maxLength = 1 << 20, minLength = 0): Uint8Array {
    const length = this.uvarint(`${what} length`, maxLength);
    if (length < minLength) throw new MalformedMessageError(`${what} is shorter than ${minLength} bytes`);
    return this.fixed(length, what);
  }

  string(what = 'string', maxBytes = 1024, minBytes = 0): string {
    return fromUtf8(this.bytes(what, maxBytes, minBytes));
  }

  /** Fails unless every byte was consumed. */
  end(what = 'message'): void {
    if (this.remaining !== 0)
      throw new MalformedMessageError(`${this.remaining} unexpected trailing bytes in ${what}`);
  }
}

// ---- text codecs ---------------------------------------------------------------------------

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL_LOOKUP = lookupTable(BASE64URL);

function lookupTable(alphabet: string): Int16Array {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}

/** base64url without padding (RFC 4648 section 5). */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += BASE64URL[n >> 18]! + BASE64URL[(n >> 12) & 63]! + BASE64URL[(n >> 6) & 63]! + BASE64URL[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] ?? 0) << 16;
    out += BASE64URL[n >> 18]! + BASE64URL[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += BASE64URL[n >> 18]! + BASE64URL[(n >> 12) & 63]! + BASE64URL[(n >> 6) & 63]!;
  }
  return out;
}

/** Strict base64url decoding: no padding, no whitespace, canonical trailing bits. */
export function fromBase64Url(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new MalformedMessageError('invalid base64url length');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? (BASE64URL_LOOKUP[code] ?? -1) : -1;
    if (value < 0) throw new MalformedMessageError(`invalid base64url character at ${i}`);
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
    buffer &= (1 << bits) - 1;
  }
  if (buffer !== 0) throw new MalformedMessageError('non-canonical base64url padding bits');
  return out;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lowercase, no padding. */
export function toBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >> bits) & 31]!;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31]!;
  return out;
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const BASE58_LOOKUP = lookupTable(BASE58);

/** Bitcoin-alphabet base58 (as used by libp2p peer ids). */
export function toBase58btc(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const digits: number[] = [];
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i] ?? 0;
    for (let j = 0; j < digits.length; j++) {
      carry += (digits[j] ?? 0) * 256;
      digits[j] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  let out = '1'.repeat(zeros);
  for (let i = digits.length - 1; i >= 0; i--) out += BASE58[digits[i] ?? 0]!;
  return out;
}

export function fromBase58btc(text: string): Uint8Array {
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  const bytes: number[] = [];
  for (let i = zeros; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let carry = code < 128 ? (BASE58_LOOKUP[code] ?? -1) : -1;
    if (carry < 0) throw new MalformedMessageError(`invalid base58 character at ${i}`);
    for (let j = 0; j < bytes.length; j++) {
      carry += (bytes[j] ?? 0) * 58;
      bytes[j] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  const out = new Uint8Array(zeros + bytes.length);
  for (let i = 0; i < bytes.length; i++) out[out.length - 1 - i] = bytes[i] ?? 0;
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) throw new MalformedMessageError('invalid hex');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}
