/** A fresh SQLite store for each test of a suite, for unit tests of the engine's parts that keep records. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach } from "node:test";
import { type BridgeStore, openStore } from "../src/store/index.ts";

/** A fresh SQLite store for each test, in a folder removed at the end. */
export function storePerTest(prefix: string): { readonly store: BridgeStore } {
  let dir = "";
  let store: BridgeStore | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await store?.close();
    store = await openStore(`sqlite:${join(dir, `store-${Date.now()}-${Math.random()}.db`)}`);
  });
  return {
    get store(): BridgeStore {
      if (store === undefined) throw new Error("no store before the first test");
      return store;
    },
  };
}
