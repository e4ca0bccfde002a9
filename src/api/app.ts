import { Hono } from 'hono';
import type { Context, MiddlewareHandler } from 'hono';
import { methodNotAllowed } from 'hono/method-not-allowed';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { InvalidInputError, MethodNotAllowedError, NotFoundError } from '../core/index.js';
import type { AuditLog, Clock, InferenceGateway, Logger, Store } from '../core/index.js';
import { DEFAULT_MAX_BODY_BYTES, bodySizeLimit } from './body.js';
import type { ApiEnv, ApiRoutes } from './env.js';
import { errorToHttp } from './http-errors.js';
import { ApiMetrics } from './metrics.js';
import { corsForOrigins } from './middleware/cors.js';
import { requireOwner } from './middleware/owner-auth.js';
import { securityHeaders } from './middleware/security-headers.js';
import { controlRoutes } from './routes/control.js';
import type { MeshControl } from './routes/mesh.js';
import { meshRoutes } from './routes/mesh.js';
import type { RouteDryRun } from './routes/route.js';
import { routeRoutes } from './routes/route.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { openAiRoutes } from './routes/openai.js';
import { routesExplainRoutes } from './routes/routes-explain.js';
import type { TriggerControl } from './routes/triggers.js';
import { triggerRoutes } from './routes/triggers.js';
import type { ScanControl } from './routes/scan.js';
import type { ExposureControl } from './routes/exposure.js';
import { exposureRoutes } from './routes/exposure.js';
import type { PendingJoinControl } from './routes/join-pending.js';
import { joinPendingRoutes } from './routes/join-pending.js';
import type { AuditFollow } from './routes/audit.js';
import { auditRoutes } from './routes/audit.js';
import type { CostControl } from './routes/cost.js';
import { costRoutes } from './routes/cost.js';
import { scanRoutes } from './routes/scan.js';
import { uiAuthRoutes } from './routes/ui-auth.js';
import type { MatterControl } from './routes/matter.js';
import { matterRoutes } from './routes/matter.js';
import type { ToolControl } from './routes/tools.js';
import { toolRoutes } from './routes/tools.js';
import { phoneRoutes } from './routes/phone.js';
import { uiRoutes } from './routes/ui.js';
import type { NodeStatusInfo } from '../core/index.js';
import { UiSessions } from './ui-sessions.js';

export interface ApiComponents {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Bearer token for `/api/*` and `/metrics`. */
  readonly ownerToken: string;
  /** What the node reports about itself right now. */
  readonly status: () => NodeStatusInfo;
  readonly store: Store;
  /**
   * The node's audit writer (`store.audit` that tells followers about new entries); without it the
   * audit log is `store.audit` and `GET /api/audit?follow=1` is unavailable.
   */
  readonly audit?: AuditLog & AuditFollow;
  /** The mesh engine; without it the mesh routes are absent. */
  readonly mesh?: MeshControl;
  /** Routes and runs inference in the mesh; without it `/v1/*` and `/api/routes/*` are absent. */
  readonly gateway?: InferenceGateway;
  /** Dry-run routing over every capability the node knows; without it `POST /api/route` is absent. */
  readonly router?: RouteDryRun;
  /** Trigger events; without it `/api/triggers/*`, `/api/events` and `/api/subscriptions` are absent. */
  readonly triggers?: TriggerControl;
  /** The capability scanner; without it `/api/scan` is absent. */
  readonly scanner?: ScanControl;
  /** Exposure, limits and access; without it `/api/exposure`, `/api/limits`, `/api/access` are absent. */
  readonly exposure?: ExposureControl;
  /** The cost model; without it `/api/cost` and `/api/cost/spend` are absent. */
  readonly cost?: CostControl;
  /** The Matter bridge; without it `/api/matter/*` is absent. */
  readonly matter?: MatterControl;
  /** Runs device tools; without it `/api/tools/invoke` and `/api/act` are absent. */
  readonly tools?: ToolControl;
  /** A join `atmosphere join` left waiting for approval; without it `/api/join/pending` is absent. */
  readonly joins?: PendingJoinControl;
}

export interface ApiInit {
  /** Browser origins allowed to call the API cross-origin (never `*`); default none. */
  corsOrigins?: readonly string[];
  /** Folder of the built web panel (`index.html` and assets); null or missing → an explanatory page. */
  uiDir?: string | null;
  /** The built phone app (ui/dist-phone), served publicly at /phone/; null when this build has none. */
  phoneDir?: string | null;
  /** Where a phone opens the phone app (for invite links); see `meshRoutes`. */
  phoneOrigins?: () => { origins: string[]; local: boolean };
  /** How long a one-time web panel login token is valid; default 120 000 ms. */
  loginTokenTtlMs?: number;
  /** How long a web panel session lasts; default 12 h. */
  sessionTtlMs?: number;
  /** Largest request body accepted; default 1 MiB (larger → 413). */
  maxBodyBytes?: number;
  /** Export process metrics (CPU, memory, event loop) on `/metrics`; default true. */
  collectProcessMetrics?: boolean;
  /**
   * `/v1/*` needs the owner (config `access.require_auth`); default true. When false it is open to
   * whoever can reach the API port. A function is asked on every request (live config).
   */
  requireAuthForV1?: boolean | (() => boolean);
}

export interface ApiApp {
  /** The hono app: `app.request()` for socket-free tests, `app.fetch` for the server. */
  readonly app: Hono<ApiEnv>;
  /** The Prometheus registry behind `/metrics`; other components may register metrics on it. */
  readonly metrics: ApiMetrics;
  readonly logger: Logger;
}

function errorResponse(c: Context<ApiEnv>, err: unknown, headers?: Record<string, string>): Response {
  const { status, body } = errorToHttp(err);
  return c.json(body, status as ContentfulStatusCode, headers);
}

/**
 * Builds the local HTTP API. Each route group lives in `routes/` and gets only the components it
 * uses; later features add a group to the list below. Everything under `/api/` and `/metrics`
 * needs the owner (bearer token or web panel session, see `middleware/owner-auth.ts`).
 */
export function createApiApp(components: ApiComponents, init: ApiInit = {}): ApiApp {
  if (components.ownerToken === '') throw new InvalidInputError('the owner token must not be empty');
  const logger = components.logger;
  const { clock, store, status } = components;
  const audit = components.audit ?? store.audit;
  const sessions = new UiSessions(
    { clock },
    { loginTokenTtlMs: init.loginTokenTtlMs, sessionTtlMs: init.sessionTtlMs },
  );
  const metrics = new ApiMetrics(
    { uptimeSeconds: () => status().uptimeSeconds },
    { collectProcessMetrics: init.collectProcessMetrics },
  );
  const ownerOnly = requireOwner({ ownerToken: components.ownerToken, sessions });

  const app = new Hono<ApiEnv>();
  app.use('*', securityHeaders());
  app.use('*', metrics.middleware());
  app.use('*', corsForOrigins(init.corsOrigins ?? []));
  app.use(
    '*',
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        errorResponse(
          c,
          new MethodNotAllowedError(
            `${c.req.method} is not allowed on ${c.req.path}; use ${methods.join(', ')}`,
          ),
          {
            Allow: methods.join(', '),
          },
        ),
    }),
  );
  app.use('*', bodySizeLimit(init.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
  app.use('/api/*', ownerOnly);
  app.use('/metrics', ownerOnly);
  const v1NeedsOwner = init.requireAuthForV1 ?? true;
  const v1Auth: MiddlewareHandler<ApiEnv> = async (c, next) => {
    if (typeof v1NeedsOwner === 'function' ? v1NeedsOwner() : v1NeedsOwner) return await ownerOnly(c, next);
    await next();
    return undefined;
  };
  app.use('/v1/*', v1Auth);

  const groups: readonly ApiRoutes[] = [
    healthRoutes({ status }),
    controlRoutes({ status }),
    auditRoutes({ audit }),
    ...(components.mesh
      ? [
          meshRoutes({
            mesh: components.mesh,
            nodeId: () => status().nodeId,
            ...(init.phoneOrigins ? { phoneOrigins: init.phoneOrigins } : {}),
          }),
        ]
      : []),
    ...(components.router ? [routeRoutes({ router: components.router })] : []),
    ...(components.triggers ? [triggerRoutes({ triggers: components.triggers })] : []),
    ...(components.scanner ? [scanRoutes({ scanner: components.scanner })] : []),
    ...(components.exposure ? [exposureRoutes({ exposure: components.exposure })] : []),
    ...(components.cost ? [costRoutes({ cost: components.cost })] : []),
    ...(components.joins ? [joinPendingRoutes({ joins: components.joins })] : []),
    ...(components.matter ? [matterRoutes({ matter: components.matter })] : []),
    ...(components.tools ? [toolRoutes({ tools: components.tools })] : []),
    ...(components.gateway
      ? [
          openAiRoutes({ gateway: components.gateway, clock, logger }),
          routesExplainRoutes({ gateway: components.gateway }),
        ]
      : []),
    uiAuthRoutes({ sessions, audit, clock, logger }),
    phoneRoutes({ phoneDir: init.phoneDir ?? null }),
    metricsRoutes({ metrics }),
    // Last: `/ui/*` serves the panel's files and client-side routes.
    uiRoutes({ uiDir: init.uiDir ?? null, sessions }),
  ];
  for (const group of groups) app.route('/', group);

  app.notFound((c) => {
    c.set('unmatched', true);
    return errorResponse(c, new NotFoundError(`no route for ${c.req.method} ${c.req.path}`));
  });
  app.onError((err, c) => {
    const response = errorResponse(c, err);
    if (c.req.raw.signal.aborted) {
      // the client went away; what failed is the work it no longer waits for
      logger.debug({ path: c.req.path }, `request abandoned by the client: ${err.message}`);
    } else if (response.status >= 500) {
      logger.error({ err, method: c.req.method, path: c.req.path }, 'request failed');
    } else {
      logger.debug({ code: (err as { code?: unknown }).code, path: c.req.path }, err.message);
    }
    return response;
  });

  return { app, metrics, logger };
}
