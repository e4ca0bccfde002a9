import { describe, expect, it } from 'vitest';
import { ChatResultBuilder, tokenUsage } from './inference.js';

describe('ChatResultBuilder', () => {
  it('folds streamed pieces into the result a whole answer would have', () => {
    const builder = new ChatResultBuilder();
    builder.add({ content: 'Let me ', reasoning: 'user wants weather' });
    builder.add({
      content: 'check.',
      toolCalls: [{ index: 0, id: 'call_a', name: 'get_weather', arguments: '{"ci' }],
    });
    builder.add({ content: '', toolCalls: [{ index: 1, name: 'get_time', arguments: '{}' }] });
    builder.add({ content: '', toolCalls: [{ index: 0, arguments: 'ty":"Oslo"}' }] });
    expect(builder.finished).toBe(false);
    builder.add({ content: '', finishReason: 'tool_calls', usage: tokenUsage(10, 5) });
    expect(builder.finished).toBe(true);
    expect(builder.result('llama3.2')).toEqual({
      model: 'llama3.2',
      content: 'Let me check.',
      reasoning: 'user wants weather',
      toolCalls: [
        { id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { id: 'call_1', name: 'get_time', arguments: '{}' },
      ],
      finishReason: 'tool_calls',
      usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    });
  });

  it('assumes a plain stop without usage when the stream carried neither', () => {
    const builder = new ChatResultBuilder();
    builder.add({ content: 'hi' });
    expect(builder.result('m')).toMatchObject({
      content: 'hi',
      reasoning: null,
      finishReason: 'stop',
      usage: null,
    });
  });
});
