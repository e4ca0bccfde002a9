/**
 * Yamux with window updates sent the way the Go implementation sends them: once half of a
 * stream's receive window is used, not after every data frame. `@libp2p/yamux` 8 answers every
 * data frame with a window update, so a gossip message costs two frames each way (two Noise
 * encryptions, two socket writes, two decryptions); with 50 members in one process that was a
 * third of all CPU. The wire format is unchanged: a window update may be sent at any time, and
 * the sender still has at least half a window (128 KiB) in hand when the update arrives.
 *
 * The muxer's streams are adjusted per instance (`_newStream` wraps each new stream's
 * `sendWindowUpdate`); a yamux version without those members is used unchanged.
 */
import type { MessageStream, StreamMuxer, StreamMuxerFactory } from '@libp2p/interface';
import type { YamuxMuxerInit } from '@libp2p/yamux';
import { yamux } from '@libp2p/yamux';
import { StreamState } from '@libp2p/yamux/stream';

interface YamuxStreamWindow {
  state: StreamState;
  recvWindow: number;
  recvWindowCapacity: number;
  sendWindowUpdate: () => void;
}

function isYamuxStreamWindow(stream: unknown): stream is YamuxStreamWindow {
  const s = stream as Partial<YamuxStreamWindow> | null;
  return (
    typeof s?.sendWindowUpdate === 'function' &&
    typeof s.recvWindow === 'number' &&
    typeof s.recvWindowCapacity === 'number'
  );
}

/** Makes `stream` skip window updates while more than half of its receive window is left. */
function lazyWindow(stream: unknown): void {
  if (!isYamuxStreamWindow(stream)) return;
  const send = stream.sendWindowUpdate;
  // Opening (SYN/ACK), paused and closing streams keep yamux's own handling.
  stream.sendWindowUpdate = () => {
    if (stream.state === StreamState.Established && stream.recvWindowCapacity * 2 > stream.recvWindow) return;
    send.call(stream);
  };
}

function withLazyWindowUpdates<M extends StreamMuxer>(muxer: M): M {
  const internals = muxer as unknown as { _newStream?: (...args: unknown[]) => unknown };
  const newStream = internals._newStream;
  if (typeof newStream !== 'function') return muxer;
  internals._newStream = (...args: unknown[]): unknown => {
    const stream = newStream.apply(muxer, args);
    lazyWindow(stream);
    return stream;
  };
  return muxer;
}

/** `yamux(init)`, with a window update only once half of a stream's receive window is used. */
export function lazyWindowYamux(init: YamuxMuxerInit = {}): () => StreamMuxerFactory {
  const create = yamux(init);
  return () => {
    const factory = create();
    const createStreamMuxer = factory.createStreamMuxer.bind(factory);
    factory.createStreamMuxer = (maConn: MessageStream) => withLazyWindowUpdates(createStreamMuxer(maConn));
    return factory;
  };
}
