/**
 * Battery and power source: Linux `/sys/class/power_supply/<name>/{type,status,capacity,online}`
 * and macOS `pmset -g batt`.
 */
import type { PowerInfo } from '../../core/index.js';
import { linesOf, parseWholeNumber } from './text.js';

/** One `/sys/class/power_supply/<name>` folder: its attribute files, trimmed. */
export interface PowerSupplyEntry {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string | undefined>>;
}

/** The attribute files the probe reads from each power supply. */
export const POWER_SUPPLY_ATTRIBUTES = [
  'type',
  'scope',
  'status',
  'capacity',
  'online',
  'present',
  'energy_now',
  'power_now',
  'charge_now',
  'current_now',
] as const;

const UNKNOWN_POWER: PowerInfo = {
  source: 'unknown',
  hasBattery: false,
  batteryPercent: null,
  charging: null,
  timeRemainingMinutes: null,
};

/**
 * Linux power supplies → PowerInfo. Batteries of peripherals (`scope` = `Device`: a wireless
 * mouse, a headset) are ignored. Mains/USB-C adapters with `online` = 1 mean AC; a system
 * battery that is `Discharging` means battery. Time remaining comes from `energy_now/power_now`
 * or `charge_now/current_now` while discharging.
 */
export function parseLinuxPowerSupplies(entries: readonly PowerSupplyEntry[]): PowerInfo {
  const system = entries.filter((entry) => (entry.attributes['scope'] ?? '').toLowerCase() !== 'device');
  const batteries = system.filter(
    (entry) => entry.attributes['type'] === 'Battery' && entry.attributes['present'] !== '0',
  );
  const adapters = system.filter(
    (entry) => entry.attributes['type'] !== undefined && entry.attributes['type'] !== 'Battery',
  );
  const adapterOnline = adapters.some((entry) => entry.attributes['online'] === '1');
  const adapterKnown = adapters.some(
    (entry) => entry.attributes['online'] === '0' || entry.attributes['online'] === '1',
  );
  const battery = batteries[0];
  if (battery === undefined) {
    if (adapterKnown) return { ...UNKNOWN_POWER, source: adapterOnline ? 'ac' : 'unknown' };
    return UNKNOWN_POWER;
  }
  const status = (battery.attributes['status'] ?? '').toLowerCase();
  const capacity = parseWholeNumber(battery.attributes['capacity']);
  const discharging = status === 'discharging';
  const source: PowerInfo['source'] = adapterOnline
    ? 'ac'
    : discharging
      ? 'battery'
      : status === 'charging' || status === 'full' || status === 'not charging'
        ? 'ac'
        : adapterKnown
          ? 'battery'
          : 'unknown';
  let remaining: number | null = null;
  if (discharging) {
    const energy = parseWholeNumber(battery.attributes['energy_now']);
    const power = parseWholeNumber(battery.attributes['power_now']);
    const charge = parseWholeNumber(battery.attributes['charge_now']);
    const current = parseWholeNumber(battery.attributes['current_now']);
    if (energy !== null && power !== null && power > 0) remaining = Math.round((energy / power) * 60);
    else if (charge !== null && current !== null && current > 0)
      remaining = Math.round((charge / current) * 60);
  }
  return {
    source,
    hasBattery: true,
    batteryPercent: capacity !== null && capacity <= 100 ? capacity : null,
    charging: status === 'charging' ? true : status === '' || status === 'unknown' ? null : false,
    timeRemainingMinutes: remaining,
  };
}

/**
 * macOS `pmset -g batt`:
 * `Now drawing from 'Battery Power'` then ` -InternalBattery-0 (id=…)	57%; discharging; 4:12 remaining present: true`.
 * A Mac without a battery prints only the first line. Null when the text is not of this form.
 */
export function parsePmsetBatt(text: string): PowerInfo | null {
  const lines = linesOf(text);
  const drawing = lines
    .map((line) => /Now drawing from '([^']+)'/.exec(line))
    .find((match) => match !== null);
  if (drawing === undefined || drawing === null) return null;
  const from = (drawing[1] ?? '').toLowerCase();
  const source: PowerInfo['source'] = from.includes('battery')
    ? 'battery'
    : from.includes('ac')
      ? 'ac'
      : 'unknown';
  const batteryLine = lines.find((line) => /InternalBattery/.test(line) && /\d+%/.test(line));
  if (batteryLine === undefined) {
    return { source, hasBattery: false, batteryPercent: null, charging: null, timeRemainingMinutes: null };
  }
  const percent = parseWholeNumber(/(\d+)%/.exec(batteryLine)?.[1]);
  const state = (/\d+%;\s*([^;]+);/.exec(batteryLine)?.[1] ?? '').trim().toLowerCase();
  const time = /(\d+):(\d{2}) remaining/.exec(batteryLine);
  const minutes = time === null ? null : Number(time[1]) * 60 + Number(time[2]);
  return {
    source,
    hasBattery: true,
    batteryPercent: percent !== null && percent <= 100 ? percent : null,
    charging: state === 'charging' ? true : state === '' ? null : false,
    // While charging, `remaining` is the time until full, not battery life.
    timeRemainingMinutes: state === 'discharging' && minutes !== null && minutes > 0 ? minutes : null,
  };
}
