/** SlackDirectory's user cache keeps only the name and avatar shown: what it answers is what the full object gives. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { silentLogger } from "@parley/bridge";
import type { webApi } from "@slack/bolt";
import { SlackDirectory, type SlackUserObject } from "../src/directory.ts";

const users: SlackUserObject[] = [
  {
    id: "U1",
    name: "ann",
    real_name: "Ann Lee",
    profile: { display_name: "Annie", real_name: "Ann Lee", image_72: "https://a/72", image_512: "https://a/512" },
  },
  {
    id: "U2",
    name: "bob",
    real_name: "Bob Ray",
    profile: { display_name: "  ", real_name: " Bob R. ", image_192: "" },
  },
  { id: "U3", name: "cy", real_name: "Cy", profile: { image_512: "https://c/512", status_text: "lunch" } },
  { id: "U4", name: " ", deleted: true },
  {
    id: "U5",
    name: "bot",
    is_bot: true,
    profile: { bot_id: "B1", image_192: "https://b/192", image_72: "https://b/72" },
  },
];

describe("SlackDirectory user cache", () => {
  it("answers from its cache as from Slack's full user object", async () => {
    const client = {
      users: {
        info: async () => {
          throw new Error("the cache should answer");
        },
      },
    } as unknown as webApi.WebClient;
    const directory = new SlackDirectory(client, silentLogger);
    directory.bot = { userId: "UBOT", botId: "B1" };
    for (const u of users) directory.remember(u);
    for (const u of users) {
      const id = u.id as string;
      assert.deepEqual(await directory.user(id), directory.remoteUser(u), id);
      assert.equal(directory.cachedName(id), directory.remoteUser(u).displayName, id);
    }
    assert.equal((await directory.user("U1")).avatarUrl, "https://a/72");
    assert.equal((await directory.user("U2")).displayName, "Bob R.");
    assert.equal((await directory.user("U4")).displayName, "U4");
    assert.equal((await directory.user("U5")).isBridge, true);
    assert.equal(directory.statusText("U3"), "lunch");
    assert.equal(directory.isDeleted("U4"), true);
    assert.equal(directory.isDeleted("U1"), false);
  });
});
