import { describe, expect, it } from 'vitest';
import {
  buildGguf,
  bool,
  chatModelMetadata,
  f32,
  int32s,
  str,
  strings,
  tokenList,
  u32,
  u64,
} from '../../../test/fixtures/scanner/models/gguf-builder.js';
import type { GgufHeader } from './gguf-header.js';
import { ggufFileTypeName, parseGgufHeader } from './gguf-header.js';

function parsedOk(bytes: Uint8Array, endOfFile = true): GgufHeader {
  const result = parseGgufHeader(bytes, { endOfFile });
  if (result.status !== 'ok') throw new Error(`expected a header, got: ${result.reason}`);
  return result.header;
}

describe('parseGgufHeader', () => {
  it('reads the version, counts and every key of a version 3 file', () => {
    const bytes = buildGguf({
      metadata: [
        ['general.architecture', str('llama')],
        ['general.name', str('Tiny Llama')],
        ['general.file_type', u32(15)],
        ['llama.context_length', u32(4096)],
        ['llama.rope.freq_base', f32(10_000)],
        ['general.tags', strings(['chat', 'tiny'])],
        ['tokenizer.ggml.add_bos_token', bool(true)],
        ['general.parameter_count_hint', u64(8_030_261_248n)],
      ],
      tensors: [
        { name: 'token_embd.weight', dims: [64, 100] },
        { name: 'output.weight', dims: [64, 100] },
      ],
    });
    const header = parsedOk(bytes);
    expect(header.version).toBe(3);
    expect(header.littleEndian).toBe(true);
    expect(header.tensorCount).toBe(2);
    expect(header.metadataCount).toBe(8);
    expect(header.complete).toBe(true);
    expect(header.metadata.get('general.architecture')).toBe('llama');
    expect(header.metadata.get('general.name')).toBe('Tiny Llama');
    expect(header.metadata.get('general.file_type')).toBe(15);
    expect(header.metadata.get('llama.context_length')).toBe(4096);
    expect(header.metadata.get('llama.rope.freq_base')).toBe(10_000);
    expect(header.metadata.get('general.tags')).toEqual({ kind: 'array', itemType: 'string', length: 2 });
    expect(header.metadata.get('tokenizer.ggml.add_bos_token')).toBe(true);
    expect(header.metadata.get('general.parameter_count_hint')).toBe(8_030_261_248);
    expect(header.parameterCount).toBe(12_800);
  });

  it('walks past string and number arrays to the keys after them', () => {
    const bytes = buildGguf({
      metadata: [
        ['general.architecture', str('qwen2')],
        ['tokenizer.ggml.tokens', tokenList(5_000)],
        ['tokenizer.ggml.token_type', int32s(Array.from({ length: 5_000 }, () => 1))],
        ['general.file_type', u32(7)],
      ],
      tensors: [{ name: 'w', dims: [8] }],
    });
    const header = parsedOk(bytes);
    expect(header.metadata.get('tokenizer.ggml.tokens')).toEqual({
      kind: 'array',
      itemType: 'string',
      length: 5_000,
    });
    expect(header.metadata.get('tokenizer.ggml.token_type')).toMatchObject({
      itemType: 'int32',
      length: 5_000,
    });
    expect(header.metadata.get('general.file_type')).toBe(7);
  });

  it('walks past arrays of arrays', () => {
    const nested = {
      type: 'array' as const,
      itemType: 'array' as const,
      items: [strings(['a', 'bb']), strings(['ccc'])],
    };
    const bytes = buildGguf({
      metadata: [
        ['general.architecture', str('llama')],
        ['weird.nested', nested],
        ['llama.context_length', u32(2048)],
      ],
    });
    const header = parsedOk(bytes);
    expect(header.metadata.get('weird.nested')).toEqual({ kind: 'array', itemType: 'array', length: 2 });
    expect(header.metadata.get('llama.context_length')).toBe(2048);
  });

  it('reads a version 2 file', () => {
    const header = parsedOk(buildGguf({ version: 2, metadata: chatModelMetadata() }));
    expect(header.version).toBe(2);
    expect(header.metadata.get('general.architecture')).toBe('llama');
  });

  it('reads a big-endian file', () => {
    const header = parsedOk(buildGguf({ bigEndian: true, metadata: chatModelMetadata({ fileType: 18 }) }));
    expect(header.littleEndian).toBe(false);
    expect(header.version).toBe(3);
    expect(header.metadata.get('general.file_type')).toBe(18);
    expect(header.metadata.get('llama.context_length')).toBe(8192);
  });

  it('returns the keys read so far, marked incomplete, when a prefix of a longer file ends early', () => {
    const bytes = buildGguf({
      metadata: [
        ['general.architecture', str('llama')],
        ['tokenizer.ggml.tokens', tokenList(20_000)],
        ['general.file_type', u32(15)],
      ],
    });
    const header = parsedOk(bytes.subarray(0, 4_096), false);
    expect(header.complete).toBe(false);
    expect(header.metadata.get('general.architecture')).toBe('llama');
    expect(header.metadata.has('general.file_type')).toBe(false);
    expect(header.parameterCount).toBeNull();
  });

  it('calls a file truncated inside its metadata invalid', () => {
    const bytes = buildGguf({ metadata: chatModelMetadata() });
    const result = parseGgufHeader(bytes.subarray(0, 120), { endOfFile: true });
    expect(result).toMatchObject({ status: 'invalid' });
    expect(result.status === 'invalid' && result.reason).toMatch(
      /^truncated: the file ends inside its metadata/,
    );
  });

  it('calls a file truncated inside the fixed header invalid', () => {
    const bytes = buildGguf({ metadata: chatModelMetadata() });
    const result = parseGgufHeader(bytes.subarray(0, 10), { endOfFile: true });
    expect(result.status === 'invalid' && result.reason).toMatch(/ends inside the GGUF header/);
  });

  it('calls a file truncated inside its tensor table invalid', () => {
    const bytes = buildGguf({
      metadata: [['general.architecture', str('llama')]],
      tensors: [{ name: 'token_embd.weight', dims: [64, 100] }],
      dataBytes: 0,
    });
    // Fixed header 24; the key/value: key (8 + 20), type 4, value (8 + 5); the tensor: name
    // (8 + 17), n_dims 4, dims 2 × 8, type 4, offset 8.
    const tableEnd = 24 + (8 + 20 + 4 + 8 + 5) + (8 + 17 + 4 + 16 + 4 + 8);
    expect(parsedOk(bytes.subarray(0, tableEnd)).parameterCount).toBe(6_400);
    const result = parseGgufHeader(bytes.subarray(0, tableEnd - 5), { endOfFile: true });
    expect(result.status === 'invalid' && result.reason).toMatch(/tensor table/);
  });

  it('rejects bytes with the wrong magic', () => {
    const bytes = buildGguf({ metadata: chatModelMetadata() });
    bytes.set(new TextEncoder().encode('GGML'), 0);
    expect(parseGgufHeader(bytes, { endOfFile: true })).toEqual({
      status: 'invalid',
      reason: 'not a GGUF file (wrong magic)',
    });
    expect(
      parseGgufHeader(new TextEncoder().encode('hello world, not a model'), { endOfFile: true }),
    ).toMatchObject({ status: 'invalid' });
  });

  it('rejects version 1 and unknown versions', () => {
    const v1 = parseGgufHeader(buildGguf({ version: 1, metadata: [] }), { endOfFile: true });
    expect(v1.status === 'invalid' && v1.reason).toMatch(/version 1 is obsolete/);
    const v9 = parseGgufHeader(buildGguf({ version: 9, metadata: [] }), { endOfFile: true });
    expect(v9.status === 'invalid' && v9.reason).toBe('unsupported GGUF version 9');
  });

  it('rejects an unknown value type', () => {
    const bytes = buildGguf({ metadata: [['general.architecture', str('llama')]] });
    // The value type of the first key sits after magic, version, counts and the key.
    const typeOffset = 4 + 4 + 8 + 8 + 8 + 'general.architecture'.length;
    new DataView(bytes.buffer).setUint32(typeOffset, 99, true);
    const result = parseGgufHeader(bytes, { endOfFile: true });
    expect(result.status === 'invalid' && result.reason).toBe(
      'unknown value type 99 at key general.architecture',
    );
  });

  it('rejects a header that claims an implausible number of keys', () => {
    const bytes = buildGguf({ metadata: [], metadataCount: 1n << 40n });
    const result = parseGgufHeader(bytes, { endOfFile: true });
    expect(result.status === 'invalid' && result.reason).toMatch(/metadata count .* is implausible/);
  });
});

describe('ggufFileTypeName', () => {
  it('names the file types llama.cpp writes', () => {
    expect(
      [0, 1, 2, 3, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 30, 32, 36, 38].map(ggufFileTypeName),
    ).toEqual([
      'F32',
      'F16',
      'Q4_0',
      'Q4_1',
      'Q8_0',
      'Q5_0',
      'Q5_1',
      'Q2_K',
      'Q3_K_S',
      'Q3_K_M',
      'Q3_K_L',
      'Q4_K_S',
      'Q4_K_M',
      'Q5_K_S',
      'Q5_K_M',
      'Q6_K',
      'IQ2_XXS',
      'IQ4_XS',
      'BF16',
      'TQ1_0',
      'MXFP4_MOE',
    ]);
  });

  it('names a guessed file type by its base type and an unknown one by its number', () => {
    expect(ggufFileTypeName(1024 + 15)).toBe('Q4_K_M');
    expect(ggufFileTypeName(250)).toBe('file type 250');
  });
});
