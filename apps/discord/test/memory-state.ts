/** An in-memory ConnectorState for unit tests, with a log of writes. */
import type { ConnectorState } from "@parley/bridge";

export class MemoryState implements ConnectorState {
  readonly values = new Map<string, string>();
  readonly writes: Array<[string, string]> = [];

  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    this.writes.push([key, value]);
  }
}
