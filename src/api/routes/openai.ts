import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Clock, InferenceGateway, Logger } from '../../core/index.js';
import { AbortedError, ModelNotFoundError } from '../../core/index.js';
import { parseJsonBody } from '../body.js';
import type { ApiEnv, ApiRoutes } from '../env.js';
import { chatCompletionBody, toChatRequest } from '../openai/chat-request.js';
import type { CompletionIdentity } from '../openai/chat-response.js';
import { ChatChunkEncoder, toChatCompletion } from '../openai/chat-response.js';
import { embeddingsBody, toEmbedRequest, toOpenAiEmbeddings } from '../openai/embeddings-wire.js';
import { findOpenAiModel, toOpenAiModelList } from '../openai/models-response.js';
import { receiptHeaders } from '../openai/receipt-headers.js';
import { chatCompletionFrames, sseBody } from '../openai/sse-stream.js';
import { clientSignal } from '../client-signal.js';

export interface OpenAiRoutesDeps {
  readonly gateway: InferenceGateway;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Requests on this node's API are the owner's (or, with `require_auth: false`, the loopback's). */
const REQUESTER = 'local';

/**
 * The OpenAI-compatible API: `GET /v1/models`, `GET /v1/models/{id}`, `POST /v1/chat/completions`
 * (plain or `stream: true` as server-sent events) and `POST /v1/embeddings`. Work goes to the mesh
 * through the `InferenceGateway`; every answer carries the route receipt as `X-Atmosphere-*`
 * headers. Authentication (`access.require_auth`) is applied by `createApiApp`.
 */
export function openAiRoutes(deps: OpenAiRoutesDeps): ApiRoutes {
  const { gateway, clock, logger } = deps;
  const routes = new Hono<ApiEnv>();
  const identity = (): CompletionIdentity => ({
    id: `chatcmpl-${randomUUID().replaceAll('-', '')}`,
    created: Math.floor(clock.now() / 1000),
  });

  routes.get('/v1/models', (c) => c.json(toOpenAiModelList(gateway.models())));

  // `{.+}`: model ids may contain slashes (`default/chatbot`, `org/model`), encoded or not.
  routes.get('/v1/models/:id{.+}', (c) => {
    const id = c.req.param('id');
    const model = findOpenAiModel(gateway.models(), id);
    if (model === undefined) {
      throw new ModelNotFoundError(`no node in the mesh has the model "${id}"; GET /v1/models lists them`, {
        details: { param: 'model', model: id },
      });
    }
    return c.json(model);
  });

  routes.post('/v1/chat/completions', async (c) => {
    const parsed = toChatRequest(await parseJsonBody(c, chatCompletionBody));
    if (!parsed.stream) {
      const { receipt, result } = await gateway.chat(parsed.request, {
        signal: clientSignal(c),
        requester: REQUESTER,
      });
      return c.json(toChatCompletion(result, identity()), 200, receiptHeaders(receipt));
    }

    // Aborted when the client goes away: by the HTTP server (request signal) or by cancelling the body.
    // (one controller that the request's signal also aborts: cheaper than `AbortSignal.any` per request)
    const disconnected = new AbortController();
    const requestSignal = clientSignal(c);
    if (requestSignal.aborted) disconnected.abort(requestSignal.reason);
    else
      requestSignal.addEventListener('abort', () => disconnected.abort(requestSignal.reason), { once: true });
    const signal = disconnected.signal;
    // Failures before the first chunk reject here and become an ordinary JSON error response.
    const { receipt, stream } = await gateway.chatStream(parsed.request, { signal, requester: REQUESTER });
    const encoder = new ChatChunkEncoder({
      identity: identity(),
      model: receipt.model,
      includeUsage: parsed.includeUsage,
    });
    const body = sseBody(chatCompletionFrames(stream, encoder), {
      onCancel: () => disconnected.abort(new AbortedError('the client closed the chat stream')),
      onError: (err) =>
        logger.warn(
          { err, routeId: receipt.routeId, nodeId: receipt.nodeId },
          'chat stream failed after it started',
        ),
    });
    return c.body(body, 200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      // Proxies (nginx) pass events through as they come.
      'X-Accel-Buffering': 'no',
      ...receiptHeaders(receipt),
    });
  });

  routes.post('/v1/embeddings', async (c) => {
    const parsed = toEmbedRequest(await parseJsonBody(c, embeddingsBody));
    const { receipt, result } = await gateway.embed(parsed.request, {
      signal: clientSignal(c),
      requester: REQUESTER,
    });
    return c.json(toOpenAiEmbeddings(result, parsed), 200, receiptHeaders(receipt));
  });

  return routes;
}
