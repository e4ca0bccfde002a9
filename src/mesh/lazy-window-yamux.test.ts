import type { StreamMuxerFactory } from '@libp2p/interface';
import { multiaddrConnectionPair } from '@libp2p/utils';
import { yamux } from '@libp2p/yamux';
import { describe, expect, it } from 'vitest';
import { lazyWindowYamux } from './lazy-window-yamux.js';

/**
 * Sends `messages` messages of `size` bytes over one stream from a plain yamux muxer to a
 * `receiver` muxer, one at a time (each waits until the previous one arrived, as gossip does), and
 * counts the frames the receiver sends back.
 */
async function framesBack(
  receiver: () => StreamMuxerFactory,
  messages: number,
  size: number,
): Promise<{ frames: number; received: number }> {
  const [outbound, inbound] = multiaddrConnectionPair();
  const sending = yamux()().createStreamMuxer(outbound);
  const receiving = receiver().createStreamMuxer(inbound);
  let frames = 0;
  outbound.addEventListener('message', () => {
    frames++;
  });
  let received = 0;
  let wake: (() => void) | undefined;
  receiving.addEventListener('stream', (event) => {
    void (async () => {
      for await (const chunk of event.detail) {
        received += chunk.byteLength;
        wake?.();
      }
    })();
  });
  const stream = await sending.createStream();
  for (let i = 0; i < messages; i++) {
    if (!stream.send(new Uint8Array(size).fill(i % 256))) await stream.onDrain();
    while (received < (i + 1) * size) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }
  await stream.close();
  await sending.close();
  await receiving.close();
  return { frames, received };
}

describe('lazyWindowYamux', () => {
  it('answers a run of small messages with no window update per message', async () => {
    const plain = await framesBack(yamux(), 200, 100);
    const lazy = await framesBack(lazyWindowYamux(), 200, 100);
    expect(plain.received).toBe(200 * 100);
    expect(lazy.received).toBe(200 * 100);
    // plain yamux: one window update per data frame; lazy: only the stream's opening ACK
    expect(plain.frames).toBeGreaterThanOrEqual(200);
    expect(lazy.frames).toBeLessThan(10);
  });

  it('still opens the window for transfers many times its size', async () => {
    // 4 MiB through a 256 KiB initial receive window: it arrives only if window updates flow
    const lazy = await framesBack(lazyWindowYamux(), 64, 64 * 1024);
    expect(lazy.received).toBe(64 * 64 * 1024);
  });
});
