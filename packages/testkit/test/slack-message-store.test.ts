import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IdSource } from "../src/slack/ids.ts";
import { insertByTs, MessageStore, type SlackMessage } from "../src/slack/message-store.ts";
import { Workspace } from "../src/slack/workspace.ts";

function message(ts: string): SlackMessage {
  return { type: "message", ts, text: ts };
}

describe("fake Slack: message store order", () => {
  it("keeps each channel oldest first whatever order messages arrive in", () => {
    const ids = new IdSource();
    const ws = new Workspace({ ids, assetsUrl: "http://127.0.0.1:1/", teamName: "t", teamDomain: "t", botName: "bot" });
    const user = ws.createUser({ name: "alice" }).id;
    const channel = ws.createChannel({ name: "general", members: [user] }).id;
    const emitted: string[] = [];
    const store = new MessageStore({ ids, ws, emit: (e) => emitted.push(String(e.ts)) });
    // Numerically, not as text: "9.5" is before "10.000001", and "10.1" is "10.100000".
    const arrivals = ["10.000002", "10.000003", "9.500000", "10.1", "10.000001", "11.000000", "1.000000"];
    for (const ts of arrivals) store.add(channel, { user, text: ts, ts });
    assert.deepEqual(
      store.list(channel).map((m) => m.ts),
      ["1.000000", "9.500000", "10.000001", "10.000002", "10.000003", "10.1", "11.000000"],
    );
    assert.deepEqual(emitted, arrivals, "every message is still announced, in arrival order");
    const fresh = store.add(channel, { user, text: "now" });
    assert.equal(store.list(channel).at(-1), fresh, "a new ts goes last");
  });

  it("insertByTs pushes the newest, places older ones by search, and keeps equal ts in arrival order", () => {
    const list: SlackMessage[] = [];
    for (const ts of ["5.000000", "7.000000", "3.000000", "6.000000", "8.000000", "4.000000"]) {
      insertByTs(list, message(ts));
    }
    assert.deepEqual(
      list.map((m) => m.ts),
      ["3.000000", "4.000000", "5.000000", "6.000000", "7.000000", "8.000000"],
    );
    const again = { ...message("6.000000"), text: "second" };
    insertByTs(list, again);
    assert.equal(list[4], again, "after the ts already there");
    const before = message("2.000000");
    insertByTs(list, before);
    assert.equal(list[0], before);
  });
});
