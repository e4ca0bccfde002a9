/**
 * Reads the header of a GGUF file (the format of llama.cpp, Ollama's blobs, LM Studio and GPT4All;
 * spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md): the magic `GGUF`, the version,
 * the tensor and metadata counts, then every metadata key/value pair. Array values are walked
 * only to find where they end — a vocabulary of 150 000 tokens is never turned into strings.
 *
 * The parser works on a prefix of the file. When the prefix ends before the last key, the header is
 * returned with `complete: false` (the caller may read a longer prefix); when the file itself ends
 * there, or the bytes are not GGUF, the result is `invalid` with a reason. It never throws.
 */

/** The first four bytes of every GGUF file. */
export const GGUF_MAGIC = 'GGUF';
/** Versions llama.cpp still loads (version 1 had 32-bit counts and is no longer supported). */
export const SUPPORTED_GGUF_VERSIONS: readonly number[] = [2, 3];

/** Metadata value types, by their number in the spec. */
export const GGUF_VALUE_TYPES = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'bool',
  'string',
  'array',
  'uint64',
  'int64',
  'float64',
] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];

const FIXED_SIZES: Partial<Record<GgufValueType, number>> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  bool: 1,
  uint64: 8,
  int64: 8,
  float64: 8,
};

/** Sanity limits: a header that claims more than this is damaged, not a model. */
const MAX_TENSOR_COUNT = 1_000_000;
const MAX_METADATA_COUNT = 1_000_000;
const MAX_KEY_BYTES = 65_535;
const MAX_STRING_BYTES = 1 << 30;
const MAX_ARRAY_NESTING = 4;
const MAX_TENSOR_DIMS = 8;

/** An array value: its item type and length (its items are skipped, not kept). */
export interface GgufArraySummary {
  readonly kind: 'array';
  readonly itemType: GgufValueType;
  readonly length: number;
}

/** 64-bit integers beyond 2^53 stay `bigint`; everything else is a plain JS value. */
export type GgufValue = number | bigint | boolean | string | GgufArraySummary;

export interface GgufHeader {
  readonly version: number;
  readonly littleEndian: boolean;
  readonly tensorCount: number;
  readonly metadataCount: number;
  /** The key/value pairs read, in file order. */
  readonly metadata: ReadonlyMap<string, GgufValue>;
  /** False when the bytes given ended before every metadata pair was read. */
  readonly complete: boolean;
  /** Sum of the tensors' element counts, when the tensor table was within the bytes given. */
  readonly parameterCount: number | null;
  /** How many bytes of the prefix the parse used. */
  readonly bytesRead: number;
}

export type GgufParseResult =
  | { readonly status: 'ok'; readonly header: GgufHeader }
  | { readonly status: 'invalid'; readonly reason: string };

export interface ParseGgufOptions {
  /** True when `bytes` is the whole file, so running out of bytes means the file is truncated. */
  readonly endOfFile: boolean;
}

/** Thrown inside the parser when the prefix ends; never escapes `parseGgufHeader`. */
class OutOfBytes extends Error {}
/** Thrown inside the parser for bytes that cannot be GGUF; never escapes `parseGgufHeader`. */
class Malformed extends Error {}

class Cursor {
  offset = 0;
  littleEndian = true;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): number {
    const at = this.offset;
    if (at + n > this.bytes.byteLength) throw new OutOfBytes();
    this.offset = at + n;
    return at;
  }

  skip(n: number): void {
    this.need(n);
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  i8(): number {
    return this.view.getInt8(this.need(1));
  }
  u16(): number {
    return this.view.getUint16(this.need(2), this.littleEndian);
  }
  i16(): number {
    return this.view.getInt16(this.need(2), this.littleEndian);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), this.littleEndian);
  }
  i32(): number {
    return this.view.getInt32(this.need(4), this.littleEndian);
  }
  f32(): number {
    return this.view.getFloat32(this.need(4), this.littleEndian);
  }
  f64(): number {
    return this.view.getFloat64(this.need(8), this.littleEndian);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.need(8), this.littleEndian);
  }
  i64(): bigint {
    return this.view.getBigInt64(this.need(8), this.littleEndian);
  }

  /** A u64 that must fit a JS number and stay under `max`. */
  count(max: number, what: string): number {
    const value = this.u64();
    if (value > BigInt(max)) throw new Malformed(`${what} ${value} is implausible`);
    return Number(value);
  }

  string(maxBytes: number, what: string): string {
    const length = this.count(maxBytes, `${what} length`);
    const at = this.need(length);
    return this.decoder.decode(this.bytes.subarray(at, at + length));
  }

  /** Moves past a string without decoding it. */
  skipString(): void {
    this.skip(this.count(MAX_STRING_BYTES, 'string length'));
  }
}

function valueType(n: number, key: string): GgufValueType {
  const type = GGUF_VALUE_TYPES[n];
  if (type === undefined) throw new Malformed(`unknown value type ${n} at key ${key}`);
  return type;
}

function narrow(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value;
}

function readValue(c: Cursor, type: GgufValueType, key: string): GgufValue {
  switch (type) {
    case 'uint8':
      return c.u8();
    case 'int8':
      return c.i8();
    case 'uint16':
      return c.u16();
    case 'int16':
      return c.i16();
    case 'uint32':
      return c.u32();
    case 'int32':
      return c.i32();
    case 'float32':
      return c.f32();
    case 'bool':
      return c.u8() !== 0;
    case 'string':
      return c.string(MAX_STRING_BYTES, `value of ${key}`);
    case 'uint64':
      return narrow(c.u64());
    case 'int64':
      return narrow(c.i64());
    case 'float64':
      return c.f64();
    case 'array':
      return skipArray(c, key, 1);
  }
}

/** Walks past an array (nested arrays included) and says what it held. */
function skipArray(c: Cursor, key: string, depth: number): GgufArraySummary {
  if (depth > MAX_ARRAY_NESTING)
    throw new Malformed(`arrays nested deeper than ${MAX_ARRAY_NESTING} at ${key}`);
  const itemType = valueType(c.u32(), key);
  const length = c.count(Number.MAX_SAFE_INTEGER, `array length at ${key}`);
  const fixed = FIXED_SIZES[itemType];
  if (fixed !== undefined) {
    c.skip(length * fixed);
  } else if (itemType === 'string') {
    for (let i = 0; i < length; i++) c.skipString();
  } else {
    for (let i = 0; i < length; i++) skipArray(c, key, depth + 1);
  }
  return { kind: 'array', itemType, length };
}

/** Reads the tensor table that follows the metadata and sums the element counts. */
function readParameterCount(c: Cursor, tensorCount: number): number {
  let total = 0;
  for (let i = 0; i < tensorCount; i++) {
    c.skipString();
    const dims = c.u32();
    if (dims > MAX_TENSOR_DIMS) throw new Malformed(`tensor ${i} has ${dims} dimensions`);
    let elements = 1;
    for (let d = 0; d < dims; d++) elements *= Number(c.u64());
    c.skip(4 + 8); // type, offset
    total += elements;
  }
  return total;
}

/**
 * Parses the GGUF header at the start of `bytes`. See the module comment for what `complete` and
 * `invalid` mean.
 */
export function parseGgufHeader(bytes: Uint8Array, options: ParseGgufOptions): GgufParseResult {
  if (bytes.byteLength < 4) {
    return { status: 'invalid', reason: `too short to be GGUF (${bytes.byteLength} bytes)` };
  }
  const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (magic !== GGUF_MAGIC) return { status: 'invalid', reason: 'not a GGUF file (wrong magic)' };

  const c = new Cursor(bytes);
  c.skip(4);
  let version: number;
  let tensorCount: number;
  let metadataCount: number;
  try {
    version = c.u32();
    if (!SUPPORTED_GGUF_VERSIONS.includes(version)) {
      // A big-endian file (allowed since version 3) reads as 0x03000000 in little-endian.
      const swapped = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, false);
      if (SUPPORTED_GGUF_VERSIONS.includes(swapped)) {
        version = swapped;
        c.littleEndian = false;
      } else if (version === 1) {
        return { status: 'invalid', reason: 'GGUF version 1 is obsolete (llama.cpp no longer loads it)' };
      } else {
        return { status: 'invalid', reason: `unsupported GGUF version ${version}` };
      }
    }
    tensorCount = c.count(MAX_TENSOR_COUNT, 'tensor count');
    metadataCount = c.count(MAX_METADATA_COUNT, 'metadata count');
  } catch (err) {
    if (err instanceof Malformed) return { status: 'invalid', reason: err.message };
    return {
      status: 'invalid',
      reason: options.endOfFile
        ? `truncated: the file ends inside the GGUF header (${bytes.byteLength} bytes)`
        : `only ${bytes.byteLength} bytes given; the GGUF header needs 24`,
    };
  }

  const metadata = new Map<string, GgufValue>();
  const header = (complete: boolean, parameterCount: number | null, bytesRead: number): GgufParseResult => ({
    status: 'ok',
    header: {
      version,
      littleEndian: c.littleEndian,
      tensorCount,
      metadataCount,
      metadata,
      complete,
      parameterCount,
      bytesRead,
    },
  });

  let lastGood = c.offset;
  try {
    for (let i = 0; i < metadataCount; i++) {
      const key = c.string(MAX_KEY_BYTES, `key ${i}`);
      const value = readValue(c, valueType(c.u32(), key), key);
      metadata.set(key, value);
      lastGood = c.offset;
    }
  } catch (err) {
    if (err instanceof Malformed) return { status: 'invalid', reason: err.message };
    if (options.endOfFile) {
      return {
        status: 'invalid',
        reason: `truncated: the file ends inside its metadata (${metadata.size} of ${metadataCount} keys read)`,
      };
    }
    return header(false, null, lastGood);
  }

  // The tensor table is optional extra: its absence (a short prefix) costs only the count.
  let parameterCount: number | null = null;
  try {
    parameterCount = readParameterCount(c, tensorCount);
    lastGood = c.offset;
  } catch (err) {
    if (err instanceof Malformed) return { status: 'invalid', reason: err.message };
    if (options.endOfFile) {
      return { status: 'invalid', reason: 'truncated: the file ends inside its tensor table' };
    }
  }
  return header(true, parameterCount, lastGood);
}

// ---- reading values -------------------------------------------------------------------------

export function ggufString(header: GgufHeader, key: string): string | null {
  const value = header.metadata.get(key);
  return typeof value === 'string' ? value : null;
}

/** An integer value (any integer type), or null. */
export function ggufInteger(header: GgufHeader, key: string): number | null {
  const value = header.metadata.get(key);
  if (typeof value === 'bigint') return Number(value);
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

// ---- file types -----------------------------------------------------------------------------

/**
 * `general.file_type` → the quantization name llama.cpp uses (`llama_ftype` in include/llama.h;
 * 4–6 and 33–35 are types llama.cpp has since removed, kept so old files still get a name).
 */
export const GGUF_FILE_TYPES: Readonly<Record<number, string>> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  4: 'Q4_1_SOME_F16',
  5: 'Q4_2',
  6: 'Q4_3',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
  33: 'Q4_0_4_4',
  34: 'Q4_0_4_8',
  35: 'Q4_0_8_8',
  36: 'TQ1_0',
  37: 'TQ2_0',
  38: 'MXFP4_MOE',
  39: 'NVFP4',
  40: 'Q1_0',
};

/** llama.cpp marks a file type it inferred from the tensors, rather than was told, with this bit. */
const FILE_TYPE_GUESSED = 1024;

/** The quantization name of a `general.file_type` value (`15` → `Q4_K_M`). */
export function ggufFileTypeName(fileType: number): string {
  const base = fileType & ~FILE_TYPE_GUESSED;
  return GGUF_FILE_TYPES[base] ?? `file type ${base}`;
}
