/** A small LRU map for the crypto providers' caches of checked signatures and parsed keys. */

/** A map that forgets its least recently used entry beyond `size`. */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly size: number;

  constructor(size: number) {
    this.size = Math.max(1, size);
  }

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.size) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }
}
