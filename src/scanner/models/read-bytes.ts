/**
 * The first bytes of a binary file (a GGUF header). `ScanEnv.readText` decodes UTF-8, which would
 * mangle binary data, so the model scan reads bytes through this function instead; callers may pass
 * their own (`scanModelFiles(env, { readBytes })`).
 */
import { open } from 'node:fs/promises';

/** Up to `maxBytes` from the start of the file; null when it is missing or unreadable. */
export type ReadBytes = (
  path: string,
  options: { readonly maxBytes: number; readonly signal?: AbortSignal },
) => Promise<Uint8Array | null>;

/** `ReadBytes` over the real file system. Only an abort of `signal` throws. */
export const readFilePrefix: ReadBytes = async (path, options) => {
  options.signal?.throwIfAborted();
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const buffer = new Uint8Array(options.maxBytes);
    let filled = 0;
    while (filled < options.maxBytes) {
      const { bytesRead } = await handle.read(buffer, filled, options.maxBytes - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } catch {
    options.signal?.throwIfAborted();
    return null;
  } finally {
    await handle?.close().catch(() => undefined);
  }
};
