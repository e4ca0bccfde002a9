/**
 * The power probe: battery level, charging, and whether the machine runs on mains or battery.
 * Linux reads `/sys/class/power_supply`; macOS asks `pmset -g batt`, then `system_profiler`.
 */
import type { PowerInfo } from '../../core/index.js';
import {
  parseLinuxPowerSupplies,
  parsePmsetBatt,
  POWER_SUPPLY_ATTRIBUTES,
  type PowerSupplyEntry,
} from './power-parsers.js';
import { commandOutcome, summarizeOutcomes, type ProbeAnswer, type ProbeContext } from './probe-context.js';
import { parseSystemProfilerJson, systemProfilerArgs } from './system-profiler.js';

const UNKNOWN: PowerInfo = {
  source: 'unknown',
  hasBattery: false,
  batteryPercent: null,
  charging: null,
  timeRemainingMinutes: null,
};

const POWER_SUPPLY_DIR = '/sys/class/power_supply';

async function probeLinuxPower(ctx: ProbeContext): Promise<ProbeAnswer<PowerInfo>> {
  const names = await ctx.listNames(POWER_SUPPLY_DIR);
  if (names === null) {
    return { value: UNKNOWN, ...summarizeOutcomes([{ source: POWER_SUPPLY_DIR, status: 'missing' }]) };
  }
  const entries: PowerSupplyEntry[] = await Promise.all(
    names.map(async (name) => {
      const values = await Promise.all(
        POWER_SUPPLY_ATTRIBUTES.map(async (attribute) => {
          const text = await ctx.readText(`${POWER_SUPPLY_DIR}/${name}/${attribute}`);
          return [attribute, text?.trim()] as const;
        }),
      );
      return { name, attributes: Object.fromEntries(values.filter((pair) => pair[1] !== undefined)) };
    }),
  );
  const power = parseLinuxPowerSupplies(entries);
  return {
    value: power,
    status: 'ok',
    detail:
      names.length === 0
        ? `via ${POWER_SUPPLY_DIR} (no battery or adapter listed)`
        : `via ${POWER_SUPPLY_DIR}`,
  };
}

async function probeDarwinPower(ctx: ProbeContext): Promise<ProbeAnswer<PowerInfo>> {
  const pmset = await ctx.run('pmset', ['-g', 'batt']);
  const fromPmset = pmset.status === 'ok' ? parsePmsetBatt(pmset.stdout) : null;
  if (fromPmset !== null) return { value: fromPmset, status: 'ok', detail: 'via pmset' };
  const profiler = await ctx.run('system_profiler', systemProfilerArgs());
  const fromProfiler = profiler.status === 'ok' ? parseSystemProfilerJson(profiler.stdout).power : null;
  const summary = summarizeOutcomes([
    commandOutcome('pmset', pmset),
    commandOutcome('system_profiler', profiler),
  ]);
  return { value: fromProfiler ?? UNKNOWN, ...summary };
}

/** Battery and power source of this machine. */
export async function probePower(ctx: ProbeContext): Promise<ProbeAnswer<PowerInfo>> {
  if (ctx.env.platform === 'linux') return probeLinuxPower(ctx);
  if (ctx.env.platform === 'darwin') return probeDarwinPower(ctx);
  return {
    value: UNKNOWN,
    status: 'not_detected',
    detail: `power detection is not supported on ${ctx.env.platform}`,
  };
}
