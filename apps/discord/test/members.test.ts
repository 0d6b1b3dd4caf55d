import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CDN } from "discord.js";
import { avatarUrlOf, displayNameOf, personFromPayload, presenceOf, remoteUserOf } from "../src/members.ts";

const cdn = new CDN("http://cdn.test");

describe("Discord people as puppets", () => {
  it("names them by guild nickname, else display name, else username", () => {
    assert.equal(displayNameOf({ id: "1", username: "anna", globalName: "Anna", nick: "Annie" }), "Annie");
    assert.equal(displayNameOf({ id: "1", username: "anna", globalName: "Anna", nick: null }), "Anna");
    assert.equal(displayNameOf({ id: "1", username: "anna", globalName: " " }), "anna");
    assert.equal(displayNameOf({ id: "1", username: "" }), "1");
  });

  it("takes the guild avatar first, as PNG, and none for the default avatar", () => {
    const p = { id: "10", username: "a", avatar: "abc", memberAvatar: "def", guildId: "5" };
    assert.match(avatarUrlOf(cdn, p) ?? "", /^http:\/\/cdn\.test\/guilds\/5\/users\/10\/avatars\/def\.png/);
    assert.match(avatarUrlOf(cdn, { ...p, memberAvatar: null }) ?? "", /^http:\/\/cdn\.test\/avatars\/10\/abc\.png/);
    assert.match(avatarUrlOf(cdn, { id: "10", username: "a", avatar: "a_anim" }) ?? "", /a_anim\.png/);
    assert.equal(avatarUrlOf(cdn, { id: "10", username: "a", avatar: null }), undefined);
  });

  it("reads user and member payloads defensively", () => {
    const p = personFromPayload(
      { id: "7", username: "bob", global_name: "Bob", avatar: null, bot: false },
      { nick: "Bobby", avatar: 3 },
      "9",
    );
    assert.deepEqual(p, {
      id: "7",
      username: "bob",
      globalName: "Bob",
      avatar: null,
      bot: false,
      nick: "Bobby",
      memberAvatar: undefined,
      guildId: "9",
    });
    assert.equal(personFromPayload({ username: "no id" }), undefined);
    assert.equal(personFromPayload("not an object"), undefined);
    assert.deepEqual(remoteUserOf(cdn, { id: "7", username: "bob" }, true), {
      id: "7",
      displayName: "bob",
      isBridge: true,
    });
  });

  it("mirrors status and the custom status (activity type 4)", () => {
    assert.deepEqual(presenceOf({ status: "idle", activities: [{ type: 0, name: "a game" }] }), { status: "idle" });
    assert.deepEqual(
      presenceOf({ status: "dnd", activities: [{ type: 4, name: "Custom Status", state: " in a meeting " }] }),
      { status: "dnd", message: "in a meeting" },
    );
    assert.deepEqual(presenceOf({ status: "invisible" }), { status: "offline" });
    assert.deepEqual(presenceOf({ status: 5, activities: "x" }), { status: "offline" });
  });
});
