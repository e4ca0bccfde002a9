import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/fixtures/scanner/hardware/fake-scan-env.js';
import {
  parseAlsaDeviceList,
  parsePactlDefault,
  parsePactlInfo,
  parsePactlJsonList,
  parsePactlShortList,
} from './audio-parsers.js';

describe('ALSA device lists', () => {
  it('reads arecord -l into microphones with hw:C,D ids', () => {
    expect(parseAlsaDeviceList(fixture('alsa/arecord-l-laptop.txt'), 'microphone')).toEqual([
      {
        id: 'hw:0,0',
        name: 'HDA Intel PCH: ALC257 Analog',
        kind: 'microphone',
        source: 'alsa',
        isDefault: false,
      },
      {
        id: 'hw:2,0',
        name: 'HD Pro Webcam C920: USB Audio',
        kind: 'microphone',
        source: 'alsa',
        isDefault: false,
      },
    ]);
  });

  it('reads aplay -l into speakers, one per PCM device', () => {
    const speakers = parseAlsaDeviceList(fixture('alsa/aplay-l-laptop.txt'), 'speaker');
    expect(speakers.map((speaker) => speaker.id)).toEqual(['hw:0,0', 'hw:0,3', 'hw:0,7']);
    expect(speakers[1]?.name).toBe('HDA Intel PCH: HDMI 0');
  });

  it('finds nothing in the "no soundcards found" message recorded on this VM or in garbage', () => {
    expect(parseAlsaDeviceList(fixture('alsa/aplay-l-no-soundcards.stderr.txt'), 'speaker')).toEqual([]);
    expect(parseAlsaDeviceList('card x: y', 'speaker')).toEqual([]);
  });
});

describe('pactl', () => {
  it('reads the server and defaults from pactl info recorded against a real PulseAudio 16.1', () => {
    expect(parsePactlInfo(fixture('pactl/info.txt'))).toEqual({
      server: 'pulseaudio',
      defaultSink: 'alsa_output.pci-0000_00_1f.3.analog-stereo',
      defaultSource: 'alsa_input.pci-0000_00_1f.3.analog-stereo',
    });
  });

  it('recognises PipeWire behind the PulseAudio protocol', () => {
    expect(parsePactlInfo('Server Name: PulseAudio (on PipeWire 1.0.5)\n').server).toBe('pipewire');
  });

  it('reads get-default-source output', () => {
    expect(parsePactlDefault(fixture('pactl/get-default-source.txt'))).toBe(
      'alsa_input.pci-0000_00_1f.3.analog-stereo',
    );
    expect(parsePactlDefault('Connection failure: Connection refused')).toBeNull();
  });

  it('lists JSON sources as microphones without the .monitor sources', () => {
    const mics = parsePactlJsonList(fixture('pactl/json-list-sources.json.txt'), 'sources', {
      defaultName: 'alsa_input.pci-0000_00_1f.3.analog-stereo',
      server: 'pulseaudio',
    });
    expect(mics).toEqual([
      {
        id: 'alsa_input.pci-0000_00_1f.3.analog-stereo',
        name: 'Built-in_Audio_Analog_Stereo',
        kind: 'microphone',
        source: 'pulseaudio',
        isDefault: true,
      },
    ]);
  });

  it('lists JSON sinks as speakers and marks the default', () => {
    const speakers = parsePactlJsonList(fixture('pactl/json-list-sinks.json.txt'), 'sinks', {
      defaultName: 'alsa_output.pci-0000_00_1f.3.analog-stereo',
    });
    expect(speakers.map((speaker) => [speaker.id, speaker.name, speaker.isDefault])).toEqual([
      ['alsa_output.pci-0000_00_1f.3.analog-stereo', 'Built-in_Audio_Analog_Stereo', true],
      ['alsa_output.usb-Generic_USB_Audio-00.analog-stereo', 'USB_Audio_Analog_Stereo', false],
    ]);
  });

  it('reads the short listing and skips monitor sources', () => {
    const mics = parsePactlShortList(fixture('pactl/list-short-sources.txt'), 'sources', {
      defaultName: 'alsa_input.pci-0000_00_1f.3.analog-stereo',
    });
    expect(mics.map((mic) => [mic.id, mic.isDefault])).toEqual([
      ['alsa_input.pci-0000_00_1f.3.analog-stereo', true],
    ]);
    expect(parsePactlShortList(fixture('pactl/list-short-sinks.txt'), 'sinks')).toHaveLength(2);
  });

  it('returns empty lists for garbage', () => {
    expect(parsePactlJsonList('not json', 'sources')).toEqual([]);
    expect(parsePactlJsonList('{"name": "x"}', 'sources')).toEqual([]);
    expect(parsePactlShortList('garbage\tline', 'sinks')).toEqual([]);
    expect(parsePactlInfo('')).toEqual({ server: null, defaultSink: null, defaultSource: null });
  });
});
