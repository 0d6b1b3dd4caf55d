/**
 * What people on each side see (issue 15), for Slack, from an XMPP client's
 * point of view, on real Prosody and ejabberd with the fake Slack:
 * mentions written on XMPP reach Slack as `<@U…>` (an ambiguous nick is
 * not guessed); private messages through the room reach the Slack member
 * from the sender's own name and the answer comes back through the room;
 * puppets' avatars over XEP-0084 and vCard-temp; a Slack member written to
 * becomes a contact with presence (XEP-0356 roster privilege on Prosody,
 * the subscription request on ejabberd, whose 23.01 fails the privileged
 * roster set); away is away, and a deactivated member or one who leaves is
 * unavailable.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, afterEach, before, describe, it } from "node:test";
import {
  buildIq,
  buildMessage,
  buildPresence,
  buildVcardRequest,
  childOf,
  childrenOf,
  element,
  type Iq,
  localFromRemoteId,
  type Message,
  NS,
  type Presence,
  parseAvatarData,
  parseAvatarMetadata,
  parseVcard,
} from "@parley/stanza";
import { isMessage, isPresence, stanzaId, XMPP_SERVER_KINDS } from "@parley/testkit";
import { assertNoViolations, type Member, type SlackHarness, startHarness, until } from "./harness.ts";

const ROSTER = "jabber:iq:roster";

/** An items request of one XEP-0084 node of `jid`. */
function avatarItems(jid: string, node: string) {
  return buildIq({
    type: "get",
    id: stanzaId("pep"),
    to: jid,
    payload: element("pubsub", { xmlns: NS.pubsub }, element("items", { node })),
  });
}

/** The id and payload of the one item of an items result. */
function onlyItem(answer: Iq, node: string) {
  assert.equal(answer.type, "result", answer.error?.condition);
  const items = answer.payload ? childOf(answer.payload, "items", NS.pubsub) : undefined;
  assert.equal(items?.attrs.node, node);
  const item = items ? childOf(items, "item", NS.pubsub) : undefined;
  assert.ok(item, "one item");
  const payload = item.getChildElements()[0];
  assert.ok(payload, "the item carries a payload");
  return { id: item.attrs.id as string | undefined, payload };
}

for (const kind of XMPP_SERVER_KINDS) {
  describe(`what an XMPP user sees of Slack on ${kind}`, () => {
    let h: SlackHarness;
    let carol: Member;
    let carolAvatarUrl = "";
    let sam: Member;
    let otherSam: Member;
    let n = 0;

    /** Seats a new Slack user in #general and resolves with them as the room shows them. */
    async function joins(name: string, displayName: string, nickIs: (nick: string) => boolean) {
      const u = h.fake.createUser({ name, realName: `${displayName} ${name}`, displayName, presence: "active" });
      const presence = h.alice.waitFor(
        isPresence((p) => {
          const from = p.from ?? "";
          return from.startsWith(`${h.room}/`) && nickIs(from.slice(h.room.length + 1)) && p.type !== "unavailable";
        }),
        { timeoutMs: 20_000, description: `${name}'s puppet in the room` },
      );
      h.fake.joinChannel(h.general.id, u.id);
      const from = ((await presence).stanza as Presence).from ?? "";
      const member: Member = { id: u.id, nick: from.slice(h.room.length + 1), jid: "" };
      return { user: u, member };
    }

    /** Alice says `body` (with `references`) in the room; resolves with the text the bot posted on Slack. */
    async function aliceSays(
      body: string,
      references?: Array<{ type: "mention"; uri: string; begin: number; end: number }>,
    ): Promise<string> {
      const marker = ` #${++n}`;
      await h.alice.send(
        buildMessage({
          type: "groupchat",
          to: h.room,
          id: stanzaId("m"),
          body: `${body}${marker}`,
          ...(references && { references }),
        }),
      );
      const post = await h.fake.waitFor(
        () => h.fake.botPosts(h.general.id).find((p) => (p.text ?? "").endsWith(marker)),
        { what: `the post of ${JSON.stringify(body)}`, timeoutMs: 15_000 },
      );
      return (post.text ?? "").slice(0, -marker.length);
    }

    before(async () => {
      h = await startHarness({ server: kind });
      // Anna (active) and Bob (away) are seated once their presence was asked, one call slot after the other.
      for (const m of [h.anna, h.bob])
        await h.alice.waitFor(
          isPresence((p) => p.from === `${h.room}/${m.nick}` && p.type !== "unavailable"),
          {
            timeoutMs: 20_000,
            description: `${m.nick}'s puppet in the room`,
          },
        );
      const jidOf = (id: string) => `${localFromRemoteId(id)}@${h.domain}`;
      const c = await joins("carol", "Carol", (nick) => nick === "Carol");
      carol = { ...c.member, jid: jidOf(c.user.id) };
      carolAvatarUrl = c.user.profile.image_192;
      const s1 = await joins("sam.one", "Sam", (nick) => nick === "Sam");
      sam = { ...s1.member, jid: jidOf(s1.user.id) };
      const s2 = await joins("sam.two", "Sam", (nick) => nick.startsWith("Sam ["));
      otherSam = { ...s2.member, jid: jidOf(s2.user.id) };
    });
    after(async () => {
      await h?.close();
    });
    afterEach(() => assertNoViolations(h));

    it("makes `Nick:` and `Nick,` at the start, `@Nick` and a reference to an occupant JID Slack mentions", async () => {
      assert.equal(await aliceSays(`${h.anna.nick}: are you there?`), `<@${h.anna.id}>: are you there?`);
      assert.equal(await aliceSays("bob, look"), `<@${h.bob.id}>, look`);
      assert.equal(await aliceSays(`thanks @${h.anna.nick} and @Carol!`), `thanks <@${h.anna.id}> and <@${carol.id}>!`);
      const ref = `ping ${h.bob.nick} now`;
      assert.equal(
        await aliceSays(ref, [{ type: "mention", uri: `xmpp:${h.room}/${h.bob.nick}`, begin: 5, end: 8 }]),
        `ping <@${h.bob.id}> now`,
      );
    });

    it("does not guess between two members with the same display name", async () => {
      assert.notEqual(sam.nick, otherSam.nick, "the room tells the two apart");
      assert.equal(await aliceSays("Sam: which one?"), "Sam: which one?");
      assert.equal(await aliceSays("hi @Sam"), "hi @Sam");
      // Named by the nick the room shows, or by a reference to the occupant, each is found.
      assert.equal(await aliceSays(`${otherSam.nick}: you`), `<@${otherSam.id}>: you`);
      const text = `and ${otherSam.nick}`;
      assert.equal(
        await aliceSays(text, [
          { type: "mention", uri: `xmpp:${h.room}/${otherSam.nick}`, begin: 4, end: 4 + otherSam.nick.length },
        ]),
        `and <@${otherSam.id}>`,
      );
    });

    it("carries a private message through the room to the member from the sender's name; the answer comes back through the room", async () => {
      await h.alice.send(
        buildMessage({ type: "chat", to: `${h.room}/${h.bob.nick}`, id: stanzaId("pm"), body: "just between us" }),
      );
      const dm = h.fake.openDm(h.bob.id);
      const post = await h.fake.waitFor(
        () => h.fake.botPosts(dm.id).find((p) => (p.text ?? "").endsWith("just between us")),
        { what: "the private message in Bob's DM", timeoutMs: 15_000 },
      );
      // Marked with the sender's nick and the occupant JID the answer goes back to, not with the room's name.
      assert.equal(post.text, `*alice* (${h.room}/alice): just between us`);
      assert.equal(post.username, "alice", "posted under the sender's nick");
      const answer = h.alice.waitFor(
        isMessage((m: Message) => m.type === "chat" && m.body === "sure, alice"),
        { timeoutMs: 15_000, description: "Bob's answer" },
      );
      h.fake.post(dm.id, h.bob.id, "sure, alice");
      const got = (await answer).stanza as Message;
      assert.equal(got.from, `${h.room}/${h.bob.nick}`, "from Bob's occupant JID, through the room");
    });

    it("serves a member's Slack avatar over XEP-0084 (metadata and data) and vCard-temp", async () => {
      const served = await fetch(carolAvatarUrl);
      assert.equal(served.status, 200);
      const picture = Buffer.from(await served.arrayBuffer());
      const hash = createHash("sha1").update(picture).digest("hex");

      const meta = onlyItem(await h.alice.iq(avatarItems(carol.jid, NS.avatarMetadata)), NS.avatarMetadata);
      assert.equal(meta.id, hash);
      const metadata = parseAvatarMetadata(meta.payload);
      assert.ok(metadata.ok);
      assert.deepEqual(metadata.value.infos, [{ id: hash, bytes: picture.length, type: "image/png" }]);

      const data = onlyItem(await h.alice.iq(avatarItems(carol.jid, NS.avatarData)), NS.avatarData);
      assert.equal(data.id, hash);
      const bytes = parseAvatarData(data.payload);
      assert.ok(bytes.ok);
      assert.deepEqual(Buffer.from(bytes.value), picture);

      const vcard = await h.alice.iq(buildVcardRequest({ id: stanzaId("vc"), to: carol.jid }));
      assert.equal(vcard.type, "result", vcard.error?.condition);
      assert.ok(vcard.payload);
      const card = parseVcard(vcard.payload);
      assert.ok(card.ok);
      assert.equal(card.value.nickname, "Carol");
      assert.deepEqual(Buffer.from(card.value.photo?.data ?? []), picture);

      // The room shows the same image: the hash of the puppet's presence (XEP-0153).
      await h.alice.waitFor(
        isPresence((p) => p.from === `${h.room}/Carol` && p.vcardUpdate?.photo === hash),
        {
          timeoutMs: 15_000,
          description: "Carol's presence with her avatar's hash",
        },
      );
    });

    it(
      kind === "prosody"
        ? "puts a member written to into the roster with presence (XEP-0356 roster privilege)"
        : "asks a user who writes to a member to take them as a contact (ejabberd 23.01 fails the XEP-0356 roster set)",
      async () => {
        const fromCarol = (from: string | undefined) => (from ?? "").startsWith(`${carol.jid}/`);
        const online = h.alice.waitFor(
          isPresence((p) => p.type === "available" && fromCarol(p.from)),
          {
            timeoutMs: 15_000,
            description: "Carol's puppet's presence as a contact",
          },
        );
        const asked =
          kind === "prosody"
            ? undefined
            : h.alice.waitFor(
                isPresence((p) => p.type === "subscribe" && p.from === carol.jid),
                {
                  timeoutMs: 15_000,
                  description: "the subscription request from Carol's puppet",
                },
              );
        await h.alice.send(buildMessage({ type: "chat", to: carol.jid, id: stanzaId("dm"), body: "hello Carol" }));
        const dm = h.fake.openDm(carol.id);
        await h.fake.waitFor(() => h.fake.botPosts(dm.id).find((p) => (p.text ?? "").endsWith("hello Carol")), {
          what: "the message in Carol's DM",
          timeoutMs: 15_000,
        });
        if (asked) {
          assert.equal(((await asked).stanza as Presence).nick, "Carol", "the request names the member");
          await h.alice.send(buildPresence({ type: "subscribed", to: carol.jid }));
          await h.alice.send(buildPresence({ type: "subscribe", to: carol.jid }));
        }
        await online;
        const roster = await h.alice.iq(
          buildIq({ type: "get", id: stanzaId("roster"), payload: element("query", { xmlns: ROSTER }) }),
        );
        assert.equal(roster.type, "result", roster.error?.condition);
        const item = roster.payload
          ? childrenOf(roster.payload, "item", ROSTER).find((i) => i.attrs.jid === carol.jid)
          : undefined;
        assert.ok(item, "Carol's puppet is in alice's roster");
        assert.equal(item.attrs.subscription, "both");
        if (kind === "prosody") assert.equal(item.attrs.name, "Carol", "named as the member");
      },
    );

    it("shows a member away on Slack as away", async () => {
      // Bob is away in the fake: asked at start.
      const away = await h.alice.waitFor(
        isPresence((p) => p.from === `${h.room}/${h.bob.nick}` && p.show === "away"),
        { timeoutMs: 15_000, description: "Bob's puppet in the room, away" },
      );
      assert.notEqual((away.stanza as Presence).type, "unavailable");
    });

    it("makes a deactivated member unavailable, in the room and to their contacts, and polls them no more", async () => {
      const inRoom = h.alice.waitFor(
        isPresence((p) => p.from === `${h.room}/Carol` && p.type === "unavailable"),
        { timeoutMs: 15_000, description: "Carol's puppet leaving the room" },
      );
      const asContact = h.alice.waitFor(
        isPresence((p) => (p.from ?? "").startsWith(`${carol.jid}/`) && p.type === "unavailable"),
        { timeoutMs: 15_000, description: "Carol's puppet unavailable to alice" },
      );
      const polled = h.connector?.cacheSizes()["slack.presence"] ?? 0;
      h.fake.updateUser(carol.id, { deleted: true });
      await inRoom;
      await asContact;
      await until("Carol dropped from polling", () => h.connector?.cacheSizes()["slack.presence"] === polled - 1);
    });

    it("makes a member who leaves the channel unavailable in the room", async () => {
      const left = h.alice.waitFor(
        isPresence((p) => p.from === `${h.room}/${otherSam.nick}` && p.type === "unavailable"),
        { timeoutMs: 15_000, description: "the other Sam's puppet leaving" },
      );
      h.fake.leaveChannel(h.general.id, otherSam.id);
      await left;
    });
  });
}
