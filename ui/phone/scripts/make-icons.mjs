// Draws the phone app's icons (ui/phone/public/icons/*.png) with no image library: a PNG encoder
// over node:zlib and a 4×4-supersampled rasteriser. The logo: a ring (the mesh) with three member
// dots on it around a filled centre (this device), light on the app's navy.
// Run: node ui/phone/scripts/make-icons.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const NAVY = [0x14, 0x21, 0x3d];
const RING = [0xe6, 0xee, 0xff];
const CORE = [0x4f, 0x8c, 0xff];
const DOT = [0x9c, 0xc3, 0xff];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An 8-bit RGB PNG (no alpha: icons are full-bleed) of `size`×`size` pixels. */
function png(size, rgb) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type RGB
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0; // filter: none
    rgb.copy(raw, y * (size * 3 + 1) + 1, y * size * 3, (y + 1) * size * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * The colour at (x, y) in a unit square centred on 0.5, the logo scaled by `scale` (1 fills the
 * square edge to edge; the maskable icons use less so the logo stays in the 80% safe circle).
 */
function colourAt(x, y, scale) {
  const dx = (x - 0.5) / scale;
  const dy = (y - 0.5) / scale;
  const r = Math.hypot(dx, dy);
  for (const angle of [-90, 30, 150]) {
    const a = (angle * Math.PI) / 180;
    if (Math.hypot(dx - 0.34 * Math.cos(a), dy - 0.34 * Math.sin(a)) <= 0.075) return DOT;
  }
  if (r <= 0.15) return CORE;
  if (r >= 0.31 && r <= 0.37) return RING;
  return NAVY;
}

function draw(size, scale) {
  const SAMPLES = 4;
  const rgb = Buffer.alloc(size * size * 3);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0];
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const c = colourAt((px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size, scale);
          for (let i = 0; i < 3; i++) sum[i] += c[i];
        }
      }
      for (let i = 0; i < 3; i++) rgb[(py * size + px) * 3 + i] = Math.round(sum[i] / (SAMPLES * SAMPLES));
    }
  }
  return png(size, rgb);
}

const out = new URL('../public/icons/', import.meta.url);
mkdirSync(out, { recursive: true });
const icons = [
  ['icon-192.png', 192, 1],
  ['icon-512.png', 512, 1],
  ['maskable-192.png', 192, 0.75],
  ['maskable-512.png', 512, 0.75],
  ['apple-touch-icon.png', 180, 0.9],
];
for (const [name, size, scale] of icons) {
  const file = new URL(name, out);
  writeFileSync(file, draw(size, scale));
  process.stdout.write(`wrote ${file.pathname}\n`);
}
