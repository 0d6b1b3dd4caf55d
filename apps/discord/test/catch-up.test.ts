import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { silentLogger } from "@parley/bridge";
import type { REST } from "discord.js";
import { CatchUp } from "../src/catch-up.ts";
import { ApiFailures } from "../src/permissions.ts";
import { compareSnowflakes, snowflakeAt } from "../src/snowflake.ts";
import { MemoryState } from "./memory-state.ts";

/** A REST stub serving one channel's messages the way Discord does for `after`: the oldest N after it, newest first. */
function restWith(channel: string, ids: string[]) {
  const requests: string[] = [];
  const rest = {
    async get(route: string, o: { query: URLSearchParams }) {
      requests.push(`${route}?${o.query}`);
      if (route !== `/channels/${channel}/messages`) throw new Error(`unexpected route ${route}`);
      const after = o.query.get("after") ?? "0";
      const limit = Number(o.query.get("limit"));
      return ids
        .filter((id) => compareSnowflakes(id, after) > 0)
        .sort(compareSnowflakes)
        .slice(0, limit)
        .reverse()
        .map((id) => ({ id, channel_id: channel, content: `m${id}`, author: { id: "1", username: "u" } }));
    },
  };
  return { rest: rest as unknown as REST, requests };
}

function catchUp(state: MemoryState, rest: REST, limit: number, fed: string[], now = () => Date.now()) {
  const failures = new ApiFailures({ logger: silentLogger, notifyAdmins: async () => {}, channelLabel: (id) => id });
  const c: CatchUp = new CatchUp({
    rest,
    state,
    failures,
    logger: silentLogger,
    limit,
    now,
    feed: async (m) => {
      fed.push(m.id as string);
      c.advance("100", m.id as string);
    },
  });
  return c;
}

const ids = Array.from({ length: 250 }, (_, i) => String(1000 + i));

describe("catch-up", () => {
  it("starts a channel without a cursor from now, relaying nothing", async () => {
    const state = new MemoryState();
    const { rest, requests } = restWith("100", ids);
    const fed: string[] = [];
    const t = Date.UTC(2025, 0, 1);
    await catchUp(state, rest, 500, fed, () => t).run(["100"]);
    assert.deepEqual(fed, []);
    assert.deepEqual(requests, []);
    assert.equal(state.values.get("cursor:100"), snowflakeAt(t));
  });

  it("pages through everything after the cursor, oldest first, and moves the cursor", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "1009");
    const { rest, requests } = restWith("100", ids);
    const fed: string[] = [];
    await catchUp(state, rest, 500, fed).run(["100"]);
    assert.deepEqual(fed, ids.slice(10));
    assert.equal(requests.length, 3, "240 messages in pages of 100");
    assert.equal(state.values.get("cursor:100"), "1249");
  });

  it("stops at the limit", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "999");
    const { rest, requests } = restWith("100", ids);
    const fed: string[] = [];
    await catchUp(state, rest, 150, fed).run(["100"]);
    assert.deepEqual(fed, ids.slice(0, 150));
    assert.ok(requests[1]?.includes("limit=50"), "the last page asks only for what is left");
    assert.equal(state.values.get("cursor:100"), "1149");
  });

  it("keeps going with the other channels when one fails", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "1200");
    await state.set("cursor:404", "1");
    const { rest } = restWith("100", ids);
    const fed: string[] = [];
    await catchUp(state, rest, 500, fed).run(["404", "100"]);
    assert.equal(fed.length, 49);
  });

  it("writes cursors behind, only forward, and on flush", async () => {
    const state = new MemoryState();
    const c = catchUp(state, restWith("100", []).rest, 10, []);
    c.advance("100", "50");
    c.advance("100", "40");
    c.advance("100", "not-an-id");
    assert.equal(state.values.get("cursor:100"), undefined, "not written at once");
    await c.flush();
    assert.equal(state.values.get("cursor:100"), "50");
    assert.equal(await c.cursorOf("100"), "50");
    await c.stop();
  });
});
