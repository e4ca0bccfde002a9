/**
 * The microphone and speaker probe. Linux: the sound server first (`pactl`, which PulseAudio and
 * PipeWire both answer, so defaults are known), ALSA's `arecord -l` / `aplay -l` when no server
 * runs. macOS: `system_profiler`. Devices are listed, never opened.
 */
import type { AudioDeviceInfo } from '../../core/index.js';
import {
  parseAlsaDeviceList,
  parsePactlDefault,
  parsePactlInfo,
  parsePactlJsonList,
  parsePactlShortList,
  type PactlListOptions,
} from './audio-parsers.js';
import {
  commandOutcome,
  summarizeOutcomes,
  type ProbeAnswer,
  type ProbeContext,
  type SourceOutcome,
} from './probe-context.js';
import { parseSystemProfilerJson, systemProfilerArgs } from './system-profiler.js';

export interface AudioDevices {
  readonly microphones: AudioDeviceInfo[];
  readonly speakers: AudioDeviceInfo[];
}

async function pactlList(
  ctx: ProbeContext,
  listKind: 'sources' | 'sinks',
  options: PactlListOptions,
): Promise<AudioDeviceInfo[] | null> {
  const json = await ctx.run('pactl', ['-f', 'json', 'list', listKind]);
  if (json.status === 'ok' && json.stdout.trim().startsWith('['))
    return parsePactlJsonList(json.stdout, listKind, options);
  // pactl before 16 has no JSON output: the short listing works everywhere.
  const short = await ctx.run('pactl', ['list', 'short', listKind]);
  return short.status === 'ok' ? parsePactlShortList(short.stdout, listKind, options) : null;
}

async function fromSoundServer(
  ctx: ProbeContext,
): Promise<{ devices: AudioDevices | null; outcome: SourceOutcome }> {
  const info = await ctx.run('pactl', ['info']);
  if (info.status !== 'ok') return { devices: null, outcome: commandOutcome('pactl', info) };
  const parsed = parsePactlInfo(info.stdout);
  const [defaultSource, defaultSink] = await Promise.all([
    parsed.defaultSource ??
      ctx
        .run('pactl', ['get-default-source'])
        .then((r) => (r.status === 'ok' ? parsePactlDefault(r.stdout) : null)),
    parsed.defaultSink ??
      ctx
        .run('pactl', ['get-default-sink'])
        .then((r) => (r.status === 'ok' ? parsePactlDefault(r.stdout) : null)),
  ]);
  const [microphones, speakers] = await Promise.all([
    pactlList(ctx, 'sources', { defaultName: defaultSource, server: parsed.server }),
    pactlList(ctx, 'sinks', { defaultName: defaultSink, server: parsed.server }),
  ]);
  if (microphones === null && speakers === null) {
    return {
      devices: null,
      outcome: { source: 'pactl', status: 'failed', reason: 'could not list sources or sinks' },
    };
  }
  return {
    devices: { microphones: microphones ?? [], speakers: speakers ?? [] },
    outcome: { source: 'pactl', status: 'ok' },
  };
}

/** `aplay -l` prints "no soundcards found" and exits 0 when the machine has none. */
function alsaResult(
  result: Awaited<ReturnType<ProbeContext['run']>>,
  kind: AudioDeviceInfo['kind'],
): AudioDeviceInfo[] {
  return result.status === 'ok' ? parseAlsaDeviceList(result.stdout, kind) : [];
}

async function probeLinuxAudio(ctx: ProbeContext): Promise<ProbeAnswer<AudioDevices>> {
  const [server, arecord, aplay] = await Promise.all([
    fromSoundServer(ctx),
    ctx.run('arecord', ['-l']),
    ctx.run('aplay', ['-l']),
  ]);
  const alsaOutcomes = [commandOutcome('arecord', arecord), commandOutcome('aplay', aplay)];
  if (server.devices !== null) {
    const summary = summarizeOutcomes([server.outcome]);
    return { value: server.devices, ...summary };
  }
  const summary = summarizeOutcomes([server.outcome, ...alsaOutcomes]);
  return {
    value: { microphones: alsaResult(arecord, 'microphone'), speakers: alsaResult(aplay, 'speaker') },
    ...summary,
  };
}

/** Microphones and speakers of this machine. */
export async function probeAudio(ctx: ProbeContext): Promise<ProbeAnswer<AudioDevices>> {
  if (ctx.env.platform === 'darwin') {
    const result = await ctx.run('system_profiler', systemProfilerArgs());
    const report = result.status === 'ok' ? parseSystemProfilerJson(result.stdout) : null;
    return {
      value: { microphones: report?.microphones ?? [], speakers: report?.speakers ?? [] },
      ...summarizeOutcomes([commandOutcome('system_profiler', result)]),
    };
  }
  if (ctx.env.platform === 'linux') return probeLinuxAudio(ctx);
  return {
    value: { microphones: [], speakers: [] },
    status: 'not_detected',
    detail: `audio detection is not supported on ${ctx.env.platform}`,
  };
}
