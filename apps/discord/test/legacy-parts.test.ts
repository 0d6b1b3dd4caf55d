/**
 * A message an earlier version of the bridge split itself on Discord: its
 * first part is in the message map and the ids of its later parts are in the
 * connector's state (`parts:<id>`). After the upgrade, the engine splits, and
 * knows only the first part; a correction edits it and the connector deletes
 * the old later parts (the engine posts whatever more the new text needs).
 * The same for a bot DM an earlier version split under its sender mark.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { buildMessage, type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import type { APIMessage } from "discord-api-types/v10";
import { assertNoViolations, type DiscordHarness, postAndSee, startHarness, until } from "./harness.ts";

async function alicePosts(h: DiscordHarness, body: string) {
  const id = stanzaId("a");
  const reflected = h.alice.waitFor(isMessage((m) => m.id === id && m.from === `${h.room}/alice`));
  await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, originId: id, body }));
  assert.ok(stanzaIdBy((await reflected).stanza as Message, h.room), "the room gave the message a stanza-id");
  return id;
}

function onDiscord(h: DiscordHarness, pred: (m: APIMessage) => boolean, what: string) {
  return h.fake.waitFor(() => h.fake.messages(h.general.id).find(pred), { timeoutMs: 15_000, what });
}

describe("a message split by an earlier version", () => {
  let h: DiscordHarness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  it("has its old later parts deleted by a correction", async () => {
    const id = await alicePosts(h, "old first part");
    const first = await onDiscord(h, (m) => m.content === "old first part", "the first part");
    await alicePosts(h, "old second part");
    const second = await onDiscord(h, (m) => m.content === "old second part", "the second part");
    await until("both to be mapped", async () => (await h.store.byRemoteId("discord", second.id)).length > 0);
    // What the earlier version wrote for a message of two parts; a restart leaves nothing of it in memory.
    await h.bridge?.stop();
    h.bridge = undefined;
    h.connector = undefined;
    await h.store.setState("connector:discord", `parts:${first.id}`, JSON.stringify([second.id]));
    await h.startBridge();

    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: stanzaId("c"), body: "fixed, and short", replace: { id } }),
    );
    await h.fake.waitFor(
      () => {
        const left = h.fake.messages(h.general.id).filter((m) => m.id === first.id || m.id === second.id);
        return left.length === 1 && left[0]?.content === "fixed, and short" ? true : undefined;
      },
      { timeoutMs: 15_000, what: "the first part edited and the old second part deleted" },
    );
    await until(
      "the old parts to be forgotten",
      async () => (await h.store.getState("connector:discord", `parts:${first.id}`)) === "[]",
    );
  });

  it("has the old later parts of a bot DM deleted by a correction", async () => {
    const puppet = `${h.bob.id}@${h.domain}`;
    await postAndSee(h, h.bob, h.general, h.room, "bob is here"); // the engine knows a puppet once its user was seen
    const dm = (text: string) =>
      h.fake.waitFor(() => h.fake.dmMessages(h.bob.id).find((m) => m.content.endsWith(text)), {
        timeoutMs: 15_000,
        what: text,
      });
    const id = stanzaId("dm");
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id, body: "old first DM part" }));
    const first = await dm("old first DM part");
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id: stanzaId("dm"), body: "old second DM part" }));
    const second = await dm("old second DM part");
    await until("both to be mapped", async () => (await h.store.byRemoteId("discord", second.id)).length > 0);
    await h.bridge?.stop();
    h.bridge = undefined;
    h.connector = undefined;
    await h.store.setState("connector:discord", `parts:${first.id}`, JSON.stringify([second.id]));
    await h.startBridge();

    await h.alice.send(
      buildMessage({ type: "chat", to: puppet, id: stanzaId("c"), body: "fixed DM", replace: { id } }),
    );
    await h.fake.waitFor(
      () => {
        const left = h.fake.dmMessages(h.bob.id).filter((m) => m.id === first.id || m.id === second.id);
        return left.length === 1 && left[0]?.content.endsWith(": fixed DM") ? true : undefined;
      },
      { timeoutMs: 15_000, what: "the first DM part edited and the old second part deleted" },
    );
    await until(
      "the old DM parts to be forgotten",
      async () => (await h.store.getState("connector:discord", `parts:${first.id}`)) === "[]",
    );
  });
});
