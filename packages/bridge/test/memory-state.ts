/** A connector's state kept in a map, for unit tests of what reads and writes it. */
import type { ConnectorState } from "../src/index.ts";

export class MemoryState implements ConnectorState {
  readonly values = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
}
