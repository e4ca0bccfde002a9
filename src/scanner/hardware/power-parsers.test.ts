import { describe, expect, it } from 'vitest';
import { fixture, fixtureTree } from '../../../test/fixtures/scanner/hardware/fake-scan-env.js';
import { parseLinuxPowerSupplies, parsePmsetBatt, type PowerSupplyEntry } from './power-parsers.js';

/** The power-supply fixture folder as the probe would read it. */
function supplies(folder: string): PowerSupplyEntry[] {
  const files = fixtureTree(`power-supply/${folder}`, '/ps');
  const byName = new Map<string, Record<string, string>>();
  for (const [path, text] of Object.entries(files)) {
    const [, , name, attribute] = path.split('/');
    if (name === undefined || attribute === undefined) continue;
    byName.set(name, { ...byName.get(name), [attribute]: text.trim() });
  }
  return [...byName].map(([name, attributes]) => ({ name, attributes }));
}

describe('parseLinuxPowerSupplies', () => {
  it('sees a laptop discharging on battery with the time left from energy and power', () => {
    expect(parseLinuxPowerSupplies(supplies('laptop-discharging'))).toEqual({
      source: 'battery',
      hasBattery: true,
      batteryPercent: 57,
      charging: false,
      timeRemainingMinutes: Math.round((30120000 / 7210000) * 60),
    });
  });

  it('sees a laptop charging on mains', () => {
    expect(parseLinuxPowerSupplies(supplies('laptop-charging'))).toEqual({
      source: 'ac',
      hasBattery: true,
      batteryPercent: 81,
      charging: true,
      timeRemainingMinutes: null,
    });
  });

  it('ignores the battery of a wireless mouse', () => {
    expect(parseLinuxPowerSupplies(supplies('desktop-with-mouse'))).toMatchObject({
      hasBattery: false,
      batteryPercent: null,
    });
  });

  it('says unknown when nothing is listed', () => {
    expect(parseLinuxPowerSupplies([])).toEqual({
      source: 'unknown',
      hasBattery: false,
      batteryPercent: null,
      charging: null,
      timeRemainingMinutes: null,
    });
  });

  it('ignores garbage values', () => {
    expect(
      parseLinuxPowerSupplies([
        { name: 'BAT0', attributes: { type: 'Battery', status: 'x', capacity: '900', energy_now: 'a' } },
      ]),
    ).toMatchObject({ hasBattery: true, batteryPercent: null, timeRemainingMinutes: null });
  });
});

describe('parsePmsetBatt', () => {
  it('sees a MacBook discharging with 4 h 12 min left', () => {
    expect(parsePmsetBatt(fixture('pmset/batt-discharging.txt'))).toEqual({
      source: 'battery',
      hasBattery: true,
      batteryPercent: 57,
      charging: false,
      timeRemainingMinutes: 252,
    });
  });

  it('does not take the time to full charge for battery life', () => {
    expect(parsePmsetBatt(fixture('pmset/batt-charging.txt'))).toEqual({
      source: 'ac',
      hasBattery: true,
      batteryPercent: 81,
      charging: true,
      timeRemainingMinutes: null,
    });
  });

  it('reads "(no estimate)" as unknown time', () => {
    expect(parsePmsetBatt(fixture('pmset/batt-no-estimate.txt'))).toMatchObject({
      batteryPercent: 97,
      timeRemainingMinutes: null,
    });
  });

  it('sees a desktop Mac on AC without a battery', () => {
    expect(parsePmsetBatt(fixture('pmset/batt-desktop.txt'))).toEqual({
      source: 'ac',
      hasBattery: false,
      batteryPercent: null,
      charging: null,
      timeRemainingMinutes: null,
    });
  });

  it('returns null for garbage', () => {
    expect(parsePmsetBatt('')).toBeNull();
    expect(parsePmsetBatt('57%; discharging')).toBeNull();
  });
});
