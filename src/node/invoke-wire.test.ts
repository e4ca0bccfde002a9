import { describe, expect, it } from 'vitest';
import { ProtocolViolationError } from '../core/index.js';
import { parseChatChunk } from './invoke-wire.js';

describe('chat chunks from a peer', () => {
  it('keeps the known fields of a chunk and drops the rest', () => {
    expect(parseChatChunk({ content: 'Hi', extra: 'ignored' }, 'peer')).toEqual({ content: 'Hi' });
    expect(
      parseChatChunk(
        {
          content: '',
          reasoning: 'thinking',
          finishReason: 'stop',
          usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5, cost: 1 },
        },
        'peer',
      ),
    ).toEqual({
      content: '',
      reasoning: 'thinking',
      finishReason: 'stop',
      usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
    });
  });

  it('accepts tool call deltas', () => {
    expect(
      parseChatChunk(
        { content: '', toolCalls: [{ index: 0, id: 'c1', name: 'f', arguments: '{}' }] },
        'peer',
      ),
    ).toEqual({ content: '', toolCalls: [{ index: 0, id: 'c1', name: 'f', arguments: '{}' }] });
  });

  it.each([
    ['no content', { reasoning: 'x' }],
    ['content that is not text', { content: 5 }],
    ['an unknown finish reason', { content: '', finishReason: 'done' }],
    [
      'a negative token count',
      { content: '', usage: { promptTokens: -1, completionTokens: 0, totalTokens: 0 } },
    ],
    [
      'a fractional token count',
      { content: '', usage: { promptTokens: 1.5, completionTokens: 0, totalTokens: 1 } },
    ],
    ['usage without a total', { content: '', usage: { promptTokens: 1, completionTokens: 0 } }],
    ['reasoning that is not text', { content: '', reasoning: null }],
    ['a tool call without an index', { content: '', toolCalls: [{ id: 'c1' }] }],
    ['content over 4 MB', { content: 'x'.repeat(4_000_001) }],
    ['an array', ['content']],
    ['null', null],
  ])('refuses a chunk with %s, naming the peer', (_what, value) => {
    expect(() => parseChatChunk(value, 'peer-7')).toThrow(ProtocolViolationError);
    expect(() => parseChatChunk(value, 'peer-7')).toThrow('peer-7 sent a malformed chat chunk');
  });
});
