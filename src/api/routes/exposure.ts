import { Hono } from 'hono';
import { z } from 'zod';
import type { ResolvedConfig } from '../../core/index.js';
import { parseJsonBody } from '../body.js';
import type { ApiEnv, ApiRoutes } from '../env.js';

/** One local capability and whether the owner's rules expose it to the mesh. */
export interface ExposedCapabilityInfo {
  readonly id: string;
  readonly type: string;
  readonly exposed: boolean;
  /** The config key that decided. */
  readonly rule: string;
}

/** What the API needs from the node to read and change what it offers the mesh. */
export interface ExposureControl {
  /** The sections in effect now (the running node's live configuration). */
  current(): Pick<ResolvedConfig, 'expose' | 'limits' | 'access'>;
  /** This node's capabilities with the decision for each. */
  capabilities(): readonly ExposedCapabilityInfo[];
  /** Why config.yaml on disk is not in effect (it is invalid), or null. */
  configError(): string | null;
  /** How the limits are used right now (running, queued, refused ...), when the node tracks it. */
  usage?(): unknown;
  /**
   * Replaces whole sections in config.yaml (validated first; an invalid value changes nothing) and
   * applies them at once: the node re-announces what it exposes.
   */
  update(sections: { expose?: unknown; limits?: unknown; access?: unknown }): Promise<void>;
}

const section = z.record(z.string(), z.unknown());

/**
 * The owner's control over exposure: `GET /api/exposure` (the `expose` rules and every local
 * capability's decision), `GET /api/limits`, `GET /api/access`, and `PUT` on each to replace that
 * section of config.yaml. A PUT is validated against the config schema: a bad value is a 400 that
 * names the key, and the file is left as it was.
 */
export function exposureRoutes(deps: { exposure: ExposureControl }): ApiRoutes {
  const { exposure } = deps;
  const routes = new Hono<ApiEnv>();

  const exposureBody = (): unknown => ({
    expose: exposure.current().expose,
    capabilities: exposure.capabilities(),
    configError: exposure.configError(),
  });

  routes.get('/api/exposure', (c) => c.json(exposureBody()));
  routes.put('/api/exposure', async (c) => {
    const body = await parseJsonBody(c, section);
    await exposure.update({ expose: body });
    return c.json(exposureBody());
  });

  const sectionBody = (name: 'limits' | 'access'): Record<string, unknown> => {
    const body: Record<string, unknown> = {
      [name]: exposure.current()[name],
      configError: exposure.configError(),
    };
    if (name === 'limits' && exposure.usage) body['usage'] = exposure.usage();
    return body;
  };

  for (const name of ['limits', 'access'] as const) {
    routes.get(`/api/${name}`, (c) => c.json(sectionBody(name)));
    routes.put(`/api/${name}`, async (c) => {
      const body = await parseJsonBody(c, section);
      await exposure.update({ [name]: body });
      return c.json(sectionBody(name));
    });
  }
  return routes;
}
