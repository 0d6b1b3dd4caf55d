/**
 * Maps and sets that keep their newest entries: JavaScript's insertion order
 * makes the first key the oldest, so dropping it past a bound is a small LRU
 * (an entry set again moves to the end). For memory that must stay flat
 * however long the bridge runs.
 */

/** Sets `key` as the newest entry of `map`, dropping the oldest past `max` entries. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
}

/** Adds `key` as the newest entry of `set`, dropping the oldest past `max` entries. */
export function addBounded<K>(set: Set<K>, key: K, max: number): void {
  set.delete(key);
  set.add(key);
  while (set.size > max) {
    const oldest = set.values().next();
    if (oldest.done) break;
    set.delete(oldest.value);
  }
}
