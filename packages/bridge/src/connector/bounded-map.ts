/**
 * Maps and sets that keep their newest entries, for memory that must stay
 * flat however long a bridge runs. JavaScript's insertion order makes the
 * first key the oldest, so dropping it past a bound is a small LRU: an entry
 * set again moves to the end. Every map of the engine and the connectors that
 * could grow with the network goes through these (its bound named where it is
 * declared).
 */

/**
 * Sets `key` as the newest entry of `map`, then drops the oldest entries
 * while there are more than `max` (`onDrop` hears each one dropped).
 */
export function setBounded<K, V>(
  map: Map<K, V>,
  key: K,
  value: V,
  max: number,
  onDrop?: (key: K, value: V) => void,
): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.entries().next();
    if (oldest.done) break;
    map.delete(oldest.value[0]);
    onDrop?.(oldest.value[0], oldest.value[1]);
  }
}

/** Adds `key` as the newest entry of `set`, then drops the oldest entries while there are more than `max`. */
export function addBounded<K>(set: Set<K>, key: K, max: number): void {
  set.delete(key);
  set.add(key);
  while (set.size > max) {
    const oldest = set.values().next();
    if (oldest.done) break;
    set.delete(oldest.value);
  }
}
