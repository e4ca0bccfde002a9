import type { BackendModel, Capability, CapabilityInput, InferenceBackend } from '../core/index.js';
import { parseCapability } from '../core/index.js';

/** A local model and the backend that serves it, under the capability id the mesh knows it by. */
export interface LocalModel {
  readonly capabilityId: string;
  readonly backend: InferenceBackend;
  readonly model: BackendModel;
}

/** `ollama/llama3.2:3b`, `llamafarm/default/camelids`, `openai/gpt-4o-mini`. */
export function capabilityIdFor(backend: InferenceBackend, model: BackendModel): string {
  return `${backend.kind === 'llamafarm' ? 'llamafarm' : backend.name}/${model.id}`;
}

function describe(backend: InferenceBackend, model: BackendModel): string {
  const facts = [model.family, model.parameterSize, model.quantization].filter((f): f is string => !!f);
  const detail = facts.length ? ` (${facts.join(', ')})` : '';
  const own = model.description ? ` ${model.description}` : '';
  switch (model.kind) {
    case 'embed':
      return `Text embedding model ${model.name}${detail} served by ${backend.name}: turns text into vectors for semantic search and similarity.${own}`;
    case 'rag':
      return `Question answering over the documents of the ${backend.name} project ${model.name}.${own}`;
    default:
      return `Chat model ${model.name}${detail} served by ${backend.name}${
        backend.kind === 'openai-compatible' ? ' (cloud, metered)' : ' on this machine'
      }: conversation, writing, summarising and answering questions.${own}`;
  }
}

function toolsFor(model: BackendModel): CapabilityInput['tools'] {
  switch (model.kind) {
    case 'embed':
      return [{ name: 'embed', description: 'Return an embedding vector for each input text.' }];
    case 'rag':
      return [{ name: 'ask', description: 'Answer a question from the indexed documents.' }];
    default:
      return [
        { name: 'chat', description: 'Multi-turn conversation: send messages, get a reply.' },
        { name: 'summarize', description: 'Shorten pasted text into a brief summary.' },
      ];
  }
}

/** The capability a backend model becomes (validated like any announced capability). */
export function capabilityForModel(nodeId: string, local: LocalModel): Capability {
  const { backend, model } = local;
  return parseCapability(
    {
      id: local.capabilityId,
      type: model.kind === 'embed' ? 'llm/embed' : model.kind === 'rag' ? 'rag' : 'llm/chat',
      description: describe(backend, model).slice(0, 2000),
      tools: toolsFor(model),
      triggers: [],
      metadata: {
        backend: backend.kind,
        provider: backend.name,
        model: model.id,
        kind: model.kind,
        ...(model.family ? { family: model.family } : {}),
        ...(model.parameterSize ? { parameterSize: model.parameterSize } : {}),
        ...(model.quantization ? { quantization: model.quantization } : {}),
        ...(model.contextLength ? { contextLength: model.contextLength } : {}),
        ...(model.features.length ? { features: [...model.features] } : {}),
        ...(model.price ? { price: model.price } : {}),
        ...(backend.kind === 'llamafarm' ? { framework: 'llamafarm', project: model.id } : {}),
      },
    },
    { nodeId },
  );
}
