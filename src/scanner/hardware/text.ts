/**
 * Small text helpers the hardware parsers share. Every one is total: garbage in gives `null` or an
 * empty result, never an exception.
 */

export const BYTES_PER_KIB = 1024;
export const BYTES_PER_MIB = 1024 * 1024;
export const BYTES_PER_GIB = 1024 * 1024 * 1024;

/** A whole, non-negative number from text such as `"24564"` or `" 8 "`; null for anything else. */
export function parseWholeNumber(text: string | undefined | null): number | null {
  if (text === undefined || text === null) return null;
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) ? value : null;
}

/** A finite decimal number from text (`"2445.424"`); null otherwise. */
export function parseDecimal(text: string | undefined | null): number | null {
  if (text === undefined || text === null) return null;
  const trimmed = text.trim();
  if (!/^-?\d+(\.\d+)?$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: BYTES_PER_KIB,
  kib: BYTES_PER_KIB,
  mb: BYTES_PER_MIB,
  mib: BYTES_PER_MIB,
  gb: BYTES_PER_GIB,
  gib: BYTES_PER_GIB,
  tb: BYTES_PER_GIB * 1024,
  tib: BYTES_PER_GIB * 1024,
};

/**
 * Bytes from a size as tools print it: `"16 GB"`, `"1536 MB"`, `"8GB"`. Like macOS, `GB` means
 * 1024³ here (System Information's "16 GB" of RAM is 16 GiB). Null when it is not a size.
 */
export function parseSizeText(text: string | undefined | null): number | null {
  if (text === undefined || text === null) return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$/.exec(text);
  if (match === null) return null;
  const unit = SIZE_UNITS[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return null;
  return Math.round(Number(match[1]) * unit);
}

/** `6.0 GB` — bytes in GiB with one decimal, as the capability reasons print them. */
export function formatGb(bytes: number): string {
  return `${(bytes / BYTES_PER_GIB).toFixed(1)} GB`;
}

/** `8 GB` for whole numbers, `2.5 GB` otherwise (thresholds in the workload table). */
export function formatGbThreshold(bytes: number): string {
  const gb = bytes / BYTES_PER_GIB;
  return Number.isInteger(gb) ? `${gb} GB` : `${gb.toFixed(1)} GB`;
}

/** Splits text into lines without their `\r`. */
export function linesOf(text: string): string[] {
  return text.split('\n').map((line) => line.replace(/\r$/, ''));
}

/** `key : value` lines (as in /proc/cpuinfo, `v4l2-ctl`, `pactl info`) → [key, value], or null. */
export function splitKeyValue(line: string, separator = ':'): readonly [string, string] | null {
  const at = line.indexOf(separator);
  if (at <= 0) return null;
  return [line.slice(0, at).trim(), line.slice(at + separator.length).trim()];
}

/** Parses JSON without throwing; null when the text is not JSON. */
export function parseJsonSafely(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** A plain object (not null, not an array), so its fields can be read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field's value when it is a non-empty string, else null. */
export function stringField(record: Record<string, unknown>, key: string): string | null {
  const value = record[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** Removes repeated items, keeping the first, by a key. */
export function uniqueBy<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    const key = keyOf(item);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}
