/**
 * `GET /v1/models`: the mesh's models in OpenAI's list shape, each with an `atmosphere` object
 * saying which node serves it. A model that several nodes have is listed once per node. The first
 * entry is `auto`, which routes each request by its conversation.
 */
import type { BackendModelKind, MeshModel } from '../../core/index.js';
import { AUTO_MODEL } from './chat-request.js';

export interface AtmosphereModelInfo {
  /** `auto` for the routing model, otherwise what the model does. */
  kind: BackendModelKind | 'auto';
  /** Null for `auto` (the node is chosen per request). */
  nodeId: string | null;
  nodeName: string | null;
  capabilityId: string | null;
  /** Served by this node, without a mesh hop. */
  local: boolean;
}

export interface OpenAiModel {
  id: string;
  object: 'model';
  /** OpenAI's creation time in Unix seconds; 0 because the mesh does not know when a model was made. */
  created: 0;
  /** The name of the node that serves it, or `atmosphere` for `auto`. */
  owned_by: string;
  atmosphere: AtmosphereModelInfo;
}

export interface OpenAiModelList {
  object: 'list';
  data: OpenAiModel[];
}

export const AUTO_MODEL_ENTRY: OpenAiModel = {
  id: AUTO_MODEL,
  object: 'model',
  created: 0,
  owned_by: 'atmosphere',
  atmosphere: { kind: 'auto', nodeId: null, nodeName: null, capabilityId: null, local: false },
};

export function toOpenAiModel(model: MeshModel): OpenAiModel {
  return {
    id: model.id,
    object: 'model',
    created: 0,
    owned_by: model.nodeName,
    atmosphere: {
      kind: model.kind,
      nodeId: model.nodeId,
      nodeName: model.nodeName,
      capabilityId: model.capabilityId,
      local: model.local,
    },
  };
}

export function toOpenAiModelList(models: readonly MeshModel[]): OpenAiModelList {
  return { object: 'list', data: [{ ...AUTO_MODEL_ENTRY }, ...models.map(toOpenAiModel)] };
}

/** The entry for one model id: `auto`, else this node's own copy, else the first node that has it. */
export function findOpenAiModel(models: readonly MeshModel[], id: string): OpenAiModel | undefined {
  if (id === AUTO_MODEL) return { ...AUTO_MODEL_ENTRY };
  const matches = models.filter((m) => m.id === id);
  const found = matches.find((m) => m.local) ?? matches[0];
  return found === undefined ? undefined : toOpenAiModel(found);
}
