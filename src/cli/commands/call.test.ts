import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../core/index.js';
import { isDeviceToolCall, parseArgs, toolInvokeBody } from './call.js';

describe('atmosphere call with a device tool', () => {
  it('runs the chat tools as model calls and any other --tool as a device tool', () => {
    expect(isDeviceToolCall(undefined)).toBe(false);
    expect(isDeviceToolCall('summarize')).toBe(false);
    expect(isDeviceToolCall('set_brightness')).toBe(true);
  });

  it('builds the POST /api/tools/invoke body from the capability, the tool, --args and --node', () => {
    expect(toolInvokeBody('matter/kitchen-light-peer3', 'set_brightness', { percent: 50 })).toEqual({
      capability: 'matter/kitchen-light-peer3',
      tool: 'set_brightness',
      arguments: { percent: 50 },
    });
    expect(toolInvokeBody('iot/lock', 'lock', {}, { node: 'node-a' })).toMatchObject({ node_id: 'node-a' });
  });

  it('refuses an intent, a bad tool name or --system with a device tool, saying what to give', () => {
    expect(() => toolInvokeBody('turn off the light', 'off', {})).toThrow(/give its id/);
    expect(() => toolInvokeBody('matter/x', 'off; rm', {})).toThrow(InvalidInputError);
    expect(() => toolInvokeBody('matter/x', 'off', {}, { system: 'be brief' })).toThrow(
      /--system is for chat models/,
    );
  });

  it('refuses --args that are not a JSON object', () => {
    expect(parseArgs('{"percent": 50}')).toEqual({ percent: 50 });
    expect(() => parseArgs('{percent: 50}')).toThrow(/--args is not valid JSON/);
    expect(() => parseArgs('[1, 2]')).toThrow(/--args must be a JSON object/);
    expect(parseArgs(undefined)).toEqual({});
  });
});
