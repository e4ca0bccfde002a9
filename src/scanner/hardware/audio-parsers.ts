/**
 * Linux audio devices: ALSA's `arecord -l` / `aplay -l` (hardware cards, ids `hw:C,D`) and the
 * PulseAudio/PipeWire client `pactl` (JSON with `-f json` from pactl 16, or the tab-separated
 * `list short` of every version). Listing devices opens nothing: no sound is recorded or played.
 */
import type { AudioDeviceInfo } from '../../core/index.js';
import { isRecord, linesOf, parseJsonSafely, splitKeyValue, stringField } from './text.js';

type AudioKind = AudioDeviceInfo['kind'];

/**
 * `arecord -l` (microphones) or `aplay -l` (speakers): lines
 * `card 0: PCH [HDA Intel PCH], device 0: ALC257 Analog [ALC257 Analog]`. The name is the card's
 * long name and the device's name: `HDA Intel PCH: ALC257 Analog`.
 */
export function parseAlsaDeviceList(text: string, kind: AudioKind): AudioDeviceInfo[] {
  const out: AudioDeviceInfo[] = [];
  for (const line of linesOf(text)) {
    const match = /^card (\d+): ([^\s[]*) \[(.*)\], device (\d+): (.*?)(?: \[(.*)\])?\s*$/.exec(line);
    if (match === null) continue;
    const cardName = (match[3] ?? '').trim() || (match[2] ?? '').trim();
    const deviceName = (match[6] ?? match[5] ?? '').trim();
    out.push({
      id: `hw:${match[1]},${match[4]}`,
      name: deviceName === '' || deviceName === cardName ? cardName : `${cardName}: ${deviceName}`,
      kind,
      source: 'alsa',
      isDefault: false,
    });
  }
  return out;
}

/** What `pactl info` says: which server answers and its default devices. */
export interface PactlInfo {
  /** `pulseaudio`, or `pipewire` when the server is PipeWire's PulseAudio layer. */
  readonly server: 'pulseaudio' | 'pipewire' | null;
  readonly defaultSink: string | null;
  readonly defaultSource: string | null;
}

/** `pactl info`: `Server Name: PulseAudio (on PipeWire 1.0.5)`, `Default Source: …` lines. */
export function parsePactlInfo(text: string): PactlInfo {
  let server: PactlInfo['server'] = null;
  let defaultSink: string | null = null;
  let defaultSource: string | null = null;
  for (const line of linesOf(text)) {
    const pair = splitKeyValue(line);
    if (pair === null) continue;
    if (pair[0] === 'Server Name')
      server = /pipewire/i.test(pair[1]) ? 'pipewire' : pair[1] === '' ? null : 'pulseaudio';
    else if (pair[0] === 'Default Sink') defaultSink = pair[1] || null;
    else if (pair[0] === 'Default Source') defaultSource = pair[1] || null;
  }
  return { server, defaultSink, defaultSource };
}

/** `pactl get-default-source` / `get-default-sink`: the name alone on a line. */
export function parsePactlDefault(text: string): string | null {
  const name = linesOf(text)
    .map((line) => line.trim())
    .find((line) => line !== '');
  return name === undefined || /\s/.test(name) ? null : name;
}

/** Monitor sources mirror a sink's output; they are not microphones. */
function isMonitor(name: string, record?: Record<string, unknown>): boolean {
  if (name.endsWith('.monitor')) return true;
  if (record === undefined) return false;
  const properties = isRecord(record['properties']) ? record['properties'] : {};
  return stringField(properties, 'device.class') === 'monitor';
}

function kindOf(listKind: 'sources' | 'sinks'): AudioKind {
  return listKind === 'sources' ? 'microphone' : 'speaker';
}

export interface PactlListOptions {
  readonly defaultName?: string | null;
  readonly server?: 'pulseaudio' | 'pipewire' | null;
}

/** `pactl -f json list sources|sinks`: an array of objects with `name` and `description`. */
export function parsePactlJsonList(
  text: string,
  listKind: 'sources' | 'sinks',
  options: PactlListOptions = {},
): AudioDeviceInfo[] {
  const doc = parseJsonSafely(text);
  if (!Array.isArray(doc)) return [];
  const out: AudioDeviceInfo[] = [];
  for (const entry of doc) {
    if (!isRecord(entry)) continue;
    const name = stringField(entry, 'name');
    if (name === null || isMonitor(name, entry)) continue;
    const properties = isRecord(entry['properties']) ? entry['properties'] : {};
    const description =
      stringField(entry, 'description') ?? stringField(properties, 'device.description') ?? name;
    out.push({
      id: name,
      name: description,
      kind: kindOf(listKind),
      source: options.server ?? 'pulseaudio',
      isDefault:
        options.defaultName !== undefined && options.defaultName !== null && name === options.defaultName,
    });
  }
  return out;
}

/**
 * `pactl list short sources|sinks`: tab-separated `index name driver sample-spec state`. The
 * short form has no description, so the name doubles as the label.
 */
export function parsePactlShortList(
  text: string,
  listKind: 'sources' | 'sinks',
  options: PactlListOptions = {},
): AudioDeviceInfo[] {
  const out: AudioDeviceInfo[] = [];
  for (const line of linesOf(text)) {
    const fields = line.split('\t');
    const [index, name] = fields;
    if (fields.length < 2 || index === undefined || !/^\d+$/.test(index.trim()) || name === undefined)
      continue;
    const id = name.trim();
    if (id === '' || isMonitor(id)) continue;
    out.push({
      id,
      name: id,
      kind: kindOf(listKind),
      source: options.server ?? 'pulseaudio',
      isDefault:
        options.defaultName !== undefined && options.defaultName !== null && id === options.defaultName,
    });
  }
  return out;
}
