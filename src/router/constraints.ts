/**
 * Hard route constraints: checks a capability must pass before its score matters. The router runs
 * the list it was given, in order; the node fills it with the owner's exposure rules, reachability
 * and revocation (`predicateConstraint`), and the router adds what a request asks for itself
 * (`requestedModelConstraint`, `requestedTypeConstraint`).
 */
import type { Capability, ConstraintResult } from '../core/index.js';

export interface RouteRequest {
  /** Free text: "turn off the kitchen light", "transcribe this". */
  readonly intent: string;
  /** Only capabilities serving this model (`metadata.model`, or the id's last part), e.g. `llama3.2:3b`. */
  readonly model?: string;
  /** Only capabilities of these types (a `family/*` pattern matches the family). */
  readonly types?: readonly string[];
  /** Who asks (a node id, or `local`); constraints may use it. */
  readonly requester?: string;
}

export interface RouteConstraint {
  readonly name: string;
  check(capability: Capability, request: RouteRequest): ConstraintResult;
}

/** A constraint from a predicate: `ok` when it returns true, else `reason`. */
export function predicateConstraint(
  name: string,
  predicate: (capability: Capability, request: RouteRequest) => boolean,
  reason: string | ((capability: Capability, request: RouteRequest) => string),
): RouteConstraint {
  return {
    name,
    check(capability, request) {
      if (predicate(capability, request)) return { name, ok: true };
      return { name, ok: false, reason: typeof reason === 'string' ? reason : reason(capability, request) };
    },
  };
}

function modelNames(capability: Capability): string[] {
  const names: string[] = [];
  const model = capability.metadata['model'];
  if (typeof model === 'string') names.push(model);
  const last = capability.id.split('/').pop();
  if (last) names.push(last);
  return names.map((n) => n.toLowerCase());
}

/** When the request names a model, only capabilities serving it (`llama3.2` matches `llama3.2:3b`). */
export const requestedModelConstraint: RouteConstraint = {
  name: 'requested-model',
  check(capability, request) {
    const wanted = request.model?.trim().toLowerCase();
    if (!wanted || wanted === 'auto') return { name: this.name, ok: true };
    const ok = modelNames(capability).some(
      (n) => n === wanted || n.startsWith(`${wanted}:`) || wanted.startsWith(`${n}:`),
    );
    return ok
      ? { name: this.name, ok }
      : { name: this.name, ok, reason: `does not serve model ${request.model}` };
  },
};

/** Whether a type matches a pattern: exact, or `family/*`, or `*`. */
export function typeMatches(type: string, pattern: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('/*') && type.startsWith(pattern.slice(0, -1));
}

/** When the request names types, only capabilities of those types. */
export const requestedTypeConstraint: RouteConstraint = {
  name: 'requested-type',
  check(capability, request) {
    if (!request.types || request.types.length === 0) return { name: this.name, ok: true };
    const ok = request.types.some((p) => typeMatches(capability.type, p));
    return ok
      ? { name: this.name, ok }
      : { name: this.name, ok, reason: `type ${capability.type} not in ${request.types.join(', ')}` };
  },
};
