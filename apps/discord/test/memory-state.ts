/** An in-memory ConnectorState for unit tests, with a log of writes. */
import type { ConnectorState, StateKeyOptions } from "@parley/bridge";

export class MemoryState implements ConnectorState {
  readonly values = new Map<string, string>();
  readonly writes: Array<[string, string]> = [];
  /** The options of each key's last write. */
  readonly options = new Map<string, StateKeyOptions | undefined>();

  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }

  async set(key: string, value: string, options?: StateKeyOptions): Promise<void> {
    this.values.set(key, value);
    this.options.set(key, options);
    this.writes.push([key, value]);
  }
}
