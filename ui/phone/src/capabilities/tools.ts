/**
 * What every phone capability shares: tool arguments checked with zod (an `invalid_input` error
 * that names the capability, the tool and each bad field), the tools' JSON Schemas for the
 * announcement, base64 for binary results, and abortable waits.
 */
import { z } from 'zod';
import { AbortedError, InvalidInputError, UnknownToolError } from '../../../../src/core/index.js';
import type { PhoneCapabilitySpec } from '../contract.js';

export type ToolSpecs = PhoneCapabilitySpec['tools'];

/** A tool as a capability declares it: its name, what it does, and the schema of its arguments. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly args: z.ZodType;
}

/** The announced form of `tools`: the arguments as JSON Schema (draft 2020-12). */
export function toolSpecs(tools: readonly ToolDefinition[]): ToolSpecs {
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    parameters: z.toJSONSchema(tool.args),
  }));
}

/** Checks `args` against `schema`; a mismatch is an `InvalidInputError` that lists every bad field. */
export function parseArgs<S extends z.ZodType>(
  capability: string,
  tool: string,
  schema: S,
  args: unknown,
): z.output<S> {
  const result = schema.safeParse(args ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length === 0 ? 'arguments' : issue.path.map(String).join('.');
    return `${where}: ${issue.message}`;
  });
  throw new InvalidInputError(`${capability} ${tool}: ${problems.join('; ')}`, {
    details: {
      capability,
      tool,
      issues: result.error.issues.map((i) => ({ path: i.path, message: i.message })),
    },
  });
}

export function unknownTool(capability: string, tool: string, known: readonly string[]): UnknownToolError {
  return new UnknownToolError(`${capability} has no tool "${tool}" (it has ${known.join(', ')})`, {
    details: { capability, tool },
  });
}

/** Standard base64 of `bytes` (no line breaks), in chunks so large photos do not overflow the stack. */
export function bytesToBase64(bytes: Uint8Array): string {
  const CHUNK = 0x8000;
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw new AbortedError(`${what} was cancelled`, { cause: signal.reason });
}

/** Waits `ms`; an abort ends the wait early with `AbortedError`. */
export function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  throwIfAborted(signal, what);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError(`${what} was cancelled`, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
