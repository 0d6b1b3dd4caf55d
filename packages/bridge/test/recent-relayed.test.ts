/** What a connector relayed lately, and what changed in a channel's window since (edits, deletions, reactions). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createLogger,
  type ListedMessage,
  RecentRelayed,
  type RelayedMessage,
  relayedAs,
  windowChanges,
} from "../src/index.ts";
import { MemoryState } from "./memory-state.ts";

const byNumber = (a: string, b: string) => Number(a) - Number(b);
const isId = (id: string) => /^\d+$/.test(id);
const logger = createLogger({ level: "error" });

describe("windowChanges", () => {
  it("finds deletions within the window, tombstones, edits and reaction changes, and nothing for the unchanged", () => {
    const recorded: RelayedMessage[] = [
      { id: "5" }, // older than a full page's oldest: not known either way
      { id: "10", edited: "11" },
      { id: "12" },
      { id: "13", reactions: { tada: ["U1", "U2"], eyes: ["U3"] } },
      { id: "14", reactions: { many: ["U1"] } },
      { id: "15" },
      { id: "16" },
      { id: "30" }, // after the cursor: not a change
    ];
    const listed: ListedMessage[] = [
      { id: "8" },
      { id: "10", edited: "11" }, // edited before, relayed then: unchanged
      { id: "12", edited: "20" },
      { id: "13", reactions: [{ name: "tada", users: ["U2", "U4", "BOT"], complete: true }] },
      { id: "14", reactions: [{ name: "many", users: ["U9"], complete: false }] },
      { id: "16", gone: true },
    ];
    const changes = windowChanges(recorded, listed, {
      upTo: "20",
      compare: byNumber,
      full: true,
      ignoreUser: (u) => u === "BOT",
    });
    assert.deepEqual(
      changes.edited.map((m) => m.id),
      ["12"],
    );
    assert.deepEqual(changes.deleted, ["15", "16"]);
    assert.deepEqual(changes.reactions, [
      { id: "13", name: "tada", user: "U1", action: "remove" },
      { id: "13", name: "eyes", user: "U3", action: "remove" },
      { id: "13", name: "tada", user: "U4", action: "add" },
      { id: "14", name: "many", user: "U9", action: "add" },
    ]);
    assert.deepEqual(windowChanges(recorded, listed, { upTo: "20", compare: byNumber, full: false }).deleted, [
      "5",
      "15",
      "16",
    ]);
    assert.deepEqual(
      relayedAs(listed[3] ?? { id: "" }, (u) => u === "BOT"),
      {
        id: "13",
        reactions: { tada: ["U2", "U4"] },
      },
    );
  });
});

describe("RecentRelayed", () => {
  it("keeps the newest per channel with edits and reactions, reads bare ids, and writes bare ids back as such", async () => {
    const state = new MemoryState();
    await state.set("recent:C", JSON.stringify(["3", "1", "junk", { id: "2", edited: "9" }]));
    const recent = new RecentRelayed({ state, logger, size: 3, compare: byNumber, isId });
    void recent.relayed("C", { id: "4" });
    void recent.reacted("C", "4", "tada", "U1", "add");
    void recent.reacted("C", "4", "eyes", "U1", "add");
    void recent.reacted("C", "4", "eyes", "U1", "remove");
    void recent.edited("C", "3", "7");
    void recent.deleted("C", "2");
    void recent.reacted("C", "99", "tada", "U1", "add"); // not kept: nothing
    await recent.flush();
    assert.deepEqual(JSON.parse(state.values.get("recent:C") ?? ""), [
      { id: "3", edited: "7" },
      { id: "4", reactions: { tada: ["U1"] } },
    ]);
    const again = new RecentRelayed({ state, logger, size: 3, compare: byNumber, isId });
    assert.deepEqual(await again.of("C"), [
      { id: "3", edited: "7" },
      { id: "4", reactions: { tada: ["U1"] } },
    ]);
    void again.relayed("C", { id: "5" });
    void again.relayed("C", { id: "6" });
    await again.flush();
    assert.deepEqual(JSON.parse(state.values.get("recent:C") ?? ""), [
      { id: "4", reactions: { tada: ["U1"] } },
      "5",
      "6",
    ]);
  });

  it("puts a message relayed late in its place, and one relayed again in the place of its earlier self", async () => {
    const state = new MemoryState();
    const recent = new RecentRelayed({ state, logger, size: 4, compare: byNumber, isId });
    for (const id of ["10", "20", "30"]) void recent.relayed("C", { id });
    void recent.relayed("C", { id: "20", edited: "e1" }); // again: replaced where it is, not added
    void recent.relayed("C", { id: "15" }); // late: sorted in
    void recent.relayed("C", { id: "30", edited: "e2" }); // again, and the newest: still one of it
    void recent.relayed("C", { id: "40" }); // newest: the oldest goes past the size
    assert.deepEqual(await recent.of("C"), [
      { id: "15" },
      { id: "20", edited: "e1" },
      { id: "30", edited: "e2" },
      { id: "40" },
    ]);
  });
});
