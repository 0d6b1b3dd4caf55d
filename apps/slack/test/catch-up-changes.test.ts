/**
 * Catch-up of what changed on Slack while the bridge was away, end to end
 * (real XMPP server, the fake Slack, the real Bolt): a message edited, one
 * deleted, a thread's first message deleted (left as a tombstone) and
 * reactions added and removed reach the room as a correction (XEP-0308),
 * retractions and reaction sets (XEP-0444), each once, nothing comes for
 * the messages left alone, and a second restart brings nothing. On Prosody
 * and on ejabberd.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Message } from "@parley/stanza";
import { isMessage, type StanzaPredicate, type XmppServerKind } from "@parley/testkit";
import { assertNoViolations, mapped, postAndSee, type SlackHarness, startHarness, until } from "./harness.ts";

/** A message to the room from one of the harness's puppets. */
function fromPuppet(h: SlackHarness, extra: (m: Message) => boolean): StanzaPredicate {
  const nicks = new Set([h.anna.nick, h.bob.nick].map((n) => `${h.room}/${n}`));
  return isMessage((m) => m.from !== undefined && nicks.has(m.from) && extra(m as Message));
}

/** Anything about one of `ids` (a correction, a retraction, reactions): what must not come again. */
function aboutAny(h: SlackHarness, ids: readonly string[]): StanzaPredicate {
  return fromPuppet(
    h,
    (m) =>
      (m.replace !== undefined && ids.includes(m.replace.id)) ||
      (m.retract !== undefined && ids.includes(m.retract.id)) ||
      (m.reactions !== undefined && ids.includes(m.reactions.id)),
  );
}

async function nothingAbout(h: SlackHarness, ids: readonly string[], what: string): Promise<void> {
  // A message posted now goes through the room's lane behind anything caught up: once it is seen, all that is.
  await postAndSee(h, h.bob, `sentinel ${Date.now()}`);
  const extra = await h.alice.waitFor(aboutAny(h, ids), { timeoutMs: 500 }).then(
    (r) => r.element.toString(),
    () => undefined,
  );
  assert.equal(extra, undefined, what);
}

const KINDS: readonly XmppServerKind[] = ["prosody", "ejabberd"];

for (const kind of KINDS) {
  describe(`Slack catch-up of changes made while the bridge was away (${kind})`, () => {
    let h: SlackHarness;
    before(async () => {
      h = await startHarness({ server: kind });
    });
    after(async () => {
      await h?.close();
    });
    afterEach(() => assertNoViolations(h));

    it("carries edits, deletions and reactions once each, nothing for the rest, and nothing at a second restart", async () => {
      const edited = await postAndSee(h, h.anna, "to be edited");
      const deleted = await postAndSee(h, h.bob, "to be deleted");
      const reacted = await postAndSee(h, h.anna, "to be reacted to");
      const untouched = await postAndSee(h, h.bob, "left alone");
      const root = await postAndSee(h, h.anna, "thread start, to be deleted");
      await postAndSee(h, h.bob, "a reply", { threadTs: root.ts });
      // A reaction relayed live, removed while away.
      const liveReaction = h.alice.waitFor(
        fromPuppet(h, (m) => m.reactions?.id === reacted.stanzaId && m.reactions.emojis.length === 1),
        { timeoutMs: 15_000, description: "bob's live reaction" },
      );
      h.fake.react(h.general.id, reacted.ts, h.bob.id, "eyes");
      await liveReaction;
      for (const m of [edited, deleted, reacted, untouched, root]) await mapped(h, m.ts);
      // What the bridge noted as relayed is on record before it goes.
      await h.stopBridge();

      h.fake.edit(h.general.id, edited.ts, "edited while away");
      h.fake.remove(h.general.id, deleted.ts);
      h.fake.remove(h.general.id, root.ts);
      h.fake.react(h.general.id, reacted.ts, h.bob.id, "eyes", "remove");
      h.fake.react(h.general.id, reacted.ts, h.anna.id, "tada");
      h.fake.react(h.general.id, reacted.ts, h.bob.id, "+1");
      h.fake.react(h.general.id, reacted.ts, h.bob.id, "+1", "remove");
      assert.equal(h.fake.message(h.general.id, root.ts)?.subtype, "tombstone", "Slack keeps a tombstone");
      // Away longer than Slack retries its events: only catch-up can tell what changed.
      assert.ok(h.fake.giveUpUndelivered() >= 7, "the events of the changes were never delivered");

      await h.startBridge();
      const correction = (
        await h.alice.waitFor(
          fromPuppet(h, (m) => m.replace !== undefined),
          { timeoutMs: 20_000, description: "the correction" },
        )
      ).stanza as Message;
      assert.equal(correction.from, `${h.room}/${h.anna.nick}`);
      assert.equal(correction.replace?.id, edited.seen.originId ?? edited.seen.id);
      assert.equal(correction.body, "edited while away");
      const retractions = new Set<string>();
      for (let i = 0; i < 2; i++) {
        const r = (
          await h.alice.waitFor(
            fromPuppet(h, (m) => m.retract !== undefined),
            { timeoutMs: 20_000, description: "a retraction" },
          )
        ).stanza as Message;
        retractions.add(r.retract?.id ?? "");
      }
      assert.deepEqual([...retractions].sort(), [deleted.stanzaId, root.stanzaId].sort());
      // Bob's eyes went away: his set is empty now; anna's is her tada. Bob's +1 came and went: no set carries it.
      const bobs = (
        await h.alice.waitFor(
          fromPuppet(h, (m) => m.from === `${h.room}/${h.bob.nick}` && m.reactions?.id === reacted.stanzaId),
          { timeoutMs: 20_000, description: "bob's reactions" },
        )
      ).stanza as Message;
      assert.deepEqual(bobs.reactions?.emojis, []);
      const annas = (
        await h.alice.waitFor(
          fromPuppet(h, (m) => m.from === `${h.room}/${h.anna.nick}` && m.reactions?.id === reacted.stanzaId),
          { timeoutMs: 20_000, description: "anna's reactions" },
        )
      ).stanza as Message;
      assert.deepEqual(annas.reactions?.emojis, ["🎉"]);
      const ids = [
        edited.seen.originId ?? edited.seen.id,
        edited.stanzaId,
        deleted.stanzaId,
        root.stanzaId,
        reacted.stanzaId,
        untouched.stanzaId,
        untouched.seen.originId ?? untouched.seen.id,
      ].filter((x): x is string => x !== undefined);
      await nothingAbout(h, ids, "a change came twice, or something came for a message left alone");

      // What it caught up is noted: a second restart brings nothing.
      await until("the bridge's notes of the edit on record", async () => {
        const saved = await h.store.getState("connector:slack", `recent:${h.general.id}`);
        const kept: unknown[] = saved === undefined ? [] : JSON.parse(saved);
        return (
          kept.some((k) => JSON.stringify(k).includes(`"edited":"`) && JSON.stringify(k).includes(edited.ts)) ||
          undefined
        );
      });
      await h.stopBridge();
      await h.startBridge();
      await nothingAbout(h, ids, "a second restart brought a change again");
    });

    it("after a short absence, when Slack also delivers the events it held, ends on the newest edit, sent once", async () => {
      const m = await postAndSee(h, h.anna, "edited twice");
      await mapped(h, m.ts);
      await h.stopBridge();
      h.fake.edit(h.general.id, m.ts, "edited twice: first");
      h.fake.edit(h.general.id, m.ts, "edited twice: second");
      // Slack still holds the events: they come when the bridge is back, alongside its catch-up.
      await h.startBridge();
      const original = m.seen.originId ?? m.seen.id;
      await h.alice.waitFor(
        fromPuppet(h, (x) => x.replace?.id === original && x.body === "edited twice: second"),
        { timeoutMs: 20_000, description: "the newest edit" },
      );
      await postAndSee(h, h.bob, `sentinel ${Date.now()}`);
      const later: string[] = [];
      for (;;) {
        const r = await h.alice
          .waitFor(
            fromPuppet(h, (x) => x.replace?.id === original),
            { timeoutMs: 500 },
          )
          .catch(() => undefined);
        if (!r) break;
        later.push((r.stanza as Message).body ?? "");
      }
      // The first edit may come before the newest (delivered before catch-up read the message), never after it.
      assert.deepEqual(later, [], "a correction came after the newest edit");
    });
  });
}
