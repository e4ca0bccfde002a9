// Injects a Node single-executable-application blob into a copy of the node binary (Linux ELF), as
// postject does: the blob goes into an ELF note named NODE_SEA_BLOB that the node runtime finds at
// start-up by walking its own program headers (dl_iterate_phdr → PT_NOTE), and the SEA fuse string is
// flipped from :0 to :1. Written here so `npm run package:sea` needs nothing beyond Node itself.
//
// Layout of the result: the original file unchanged (but for the fuse byte and the ELF header's
// program-header fields), then, page-aligned at the end, one new read-only PT_LOAD segment holding
// a copy of the program-header table (with two more entries: that PT_LOAD and a PT_NOTE) followed by
// the note. The table moves because there is no room to grow it in place; the new segment's
// address - offset delta equals the first segment's, so both old kernels (AT_PHDR = load base +
// e_phoff) and new ones (AT_PHDR from the PT_LOAD holding e_phoff) tell the loader the right address.

export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
export const SEA_NOTE_NAME = 'NODE_SEA_BLOB';

const PT_LOAD = 1;
const PT_NOTE = 4;
const PT_PHDR = 6;
const PF_R = 4;
const PAGE = 0x1000;
const PHDR_SIZE = 56;

const alignUp = (n, a) => Math.ceil(n / a) * a;

function readPhdr(buf, off) {
  return {
    type: buf.readUInt32LE(off),
    flags: buf.readUInt32LE(off + 4),
    offset: Number(buf.readBigUInt64LE(off + 8)),
    vaddr: Number(buf.readBigUInt64LE(off + 16)),
    paddr: Number(buf.readBigUInt64LE(off + 24)),
    filesz: Number(buf.readBigUInt64LE(off + 32)),
    memsz: Number(buf.readBigUInt64LE(off + 40)),
    align: Number(buf.readBigUInt64LE(off + 48)),
  };
}

function writePhdr(buf, off, p) {
  buf.writeUInt32LE(p.type, off);
  buf.writeUInt32LE(p.flags, off + 4);
  buf.writeBigUInt64LE(BigInt(p.offset), off + 8);
  buf.writeBigUInt64LE(BigInt(p.vaddr), off + 16);
  buf.writeBigUInt64LE(BigInt(p.paddr), off + 24);
  buf.writeBigUInt64LE(BigInt(p.filesz), off + 32);
  buf.writeBigUInt64LE(BigInt(p.memsz), off + 40);
  buf.writeBigUInt64LE(BigInt(p.align), off + 48);
}

/** An ELF note: namesz, descsz, type, the NUL-terminated name and the data, each padded to 4 bytes. */
function elfNote(name, data) {
  const nameBytes = Buffer.from(`${name}\0`, 'latin1');
  const note = Buffer.alloc(12 + alignUp(nameBytes.length, 4) + alignUp(data.length, 4));
  note.writeUInt32LE(nameBytes.length, 0);
  note.writeUInt32LE(data.length, 4);
  note.writeUInt32LE(0, 8);
  nameBytes.copy(note, 12);
  data.copy(note, 12 + alignUp(nameBytes.length, 4));
  return note;
}

/**
 * Returns a new executable: `node` (the bytes of a Linux x86-64/arm64 node binary) with `blob` (from
 * `node --experimental-sea-config`) injected and the SEA fuse set. Throws on anything unexpected
 * (not a 64-bit little-endian ELF, no fuse or a fuse already set, no PT_PHDR).
 */
export function injectSeaBlob(node, blob) {
  if (node.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  if (node[4] !== 2 || node[5] !== 1)
    throw new Error('only 64-bit little-endian ELF executables are supported');
  const fuseAt = node.indexOf(`${SEA_FUSE}:0`, 0, 'latin1');
  if (fuseAt < 0) {
    throw new Error(
      node.includes(`${SEA_FUSE}:1`, 0, 'latin1')
        ? 'this node binary already carries a SEA blob'
        : 'this node binary has no SEA fuse (Node < 20 or built without single-executable support)',
    );
  }
  if (node.indexOf(`${SEA_FUSE}:0`, fuseAt + 1, 'latin1') >= 0) throw new Error('the SEA fuse occurs twice');

  const phoff = Number(node.readBigUInt64LE(0x20));
  const phentsize = node.readUInt16LE(0x36);
  const phnum = node.readUInt16LE(0x38);
  if (phentsize !== PHDR_SIZE) throw new Error(`unexpected program header size ${phentsize}`);
  const phdrs = Array.from({ length: phnum }, (_, i) => readPhdr(node, phoff + i * PHDR_SIZE));
  const loads = phdrs.filter((p) => p.type === PT_LOAD);
  const phdrIndex = phdrs.findIndex((p) => p.type === PT_PHDR);
  if (loads.length === 0 || phdrIndex < 0)
    throw new Error('the executable has no PT_LOAD or PT_PHDR segment');
  const first = loads[0];
  const base = first.vaddr - first.offset;
  const endOfImage = Math.max(...loads.map((p) => p.vaddr + p.memsz));

  const newPhnum = phnum + 2;
  const tableSize = newPhnum * PHDR_SIZE;
  const note = elfNote(SEA_NOTE_NAME, blob);
  const segmentOffset = Math.max(alignUp(node.length, PAGE), alignUp(endOfImage, PAGE) - base);
  const segmentVaddr = base + segmentOffset;
  const segmentSize = tableSize + note.length;

  const table = [...phdrs];
  table[phdrIndex] = {
    ...phdrs[phdrIndex],
    offset: segmentOffset,
    vaddr: segmentVaddr,
    paddr: segmentVaddr,
    filesz: tableSize,
    memsz: tableSize,
  };
  // loadable segments must stay sorted by address: the new one (the highest) goes after the last
  const lastLoad = table.map((p) => p.type).lastIndexOf(PT_LOAD);
  table.splice(lastLoad + 1, 0, {
    type: PT_LOAD,
    flags: PF_R,
    offset: segmentOffset,
    vaddr: segmentVaddr,
    paddr: segmentVaddr,
    filesz: segmentSize,
    memsz: segmentSize,
    align: PAGE,
  });
  table.push({
    type: PT_NOTE,
    flags: PF_R,
    offset: segmentOffset + tableSize,
    vaddr: segmentVaddr + tableSize,
    paddr: segmentVaddr + tableSize,
    filesz: note.length,
    memsz: note.length,
    align: 4,
  });

  const out = Buffer.alloc(segmentOffset + segmentSize);
  node.copy(out, 0);
  out.write('1', fuseAt + SEA_FUSE.length + 1, 'latin1');
  out.writeBigUInt64LE(BigInt(segmentOffset), 0x20);
  out.writeUInt16LE(newPhnum, 0x38);
  table.forEach((p, i) => writePhdr(out, segmentOffset + i * PHDR_SIZE, p));
  note.copy(out, segmentOffset + tableSize);
  return out;
}
