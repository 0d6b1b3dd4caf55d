import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Client } from "discord.js";
import { guardPackets } from "../src/packet-guard.ts";

describe("gateway packets discord.js cannot read", () => {
  it("are skipped and said, one at a time, instead of ending the process", () => {
    const handled: string[] = [];
    const ws = {
      handlePacket(packet: { t?: unknown }) {
        if (packet.t === "PRESENCE_UPDATE") throw new TypeError("data.activities.map is not a function");
        handled.push(String(packet.t));
        return true;
      },
    };
    const skipped: string[] = [];
    guardPackets({ ws } as unknown as Client, (type, e) => skipped.push(`${type}: ${(e as Error).message}`));
    assert.equal(ws.handlePacket({ t: "PRESENCE_UPDATE" }), false);
    assert.equal(ws.handlePacket({ t: "MESSAGE_CREATE" }), true);
    assert.deepEqual(skipped, ["PRESENCE_UPDATE: data.activities.map is not a function"]);
    assert.deepEqual(handled, ["MESSAGE_CREATE"]);
  });
});
