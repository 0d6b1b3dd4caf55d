/**
 * XMPP -> Matrix deliveries sent again (a retry, or a resend after a crash,
 * by the engine under the same delivery key) reach the room once: every send,
 * edit and reaction carries a transaction id derived from the key, and
 * Synapse answers a known one with the event it already made. A new request
 * (another key) is never swallowed, also when it looks like an earlier one.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { RichText } from "@parley/bridge";
import { type Harness, startHarness } from "./matrix-harness.ts";
import type { MatrixEventJson, SyncItem } from "./matrix-user.ts";

let h: Harness;
/** Serves one small file, for a message in two parts (its text and the file). */
let files: Server;
let fileUrl: string;
before(async () => {
  files = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("a small file\n"));
  await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
  fileUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}/note.txt`;
  h = await startHarness();
});
after(async () => {
  await h?.close();
  files?.close();
});

const carol = { jid: "carol@parley.test", nick: "Carol" };
const text = (s: string): RichText => ({ blocks: [{ type: "paragraph", children: [{ type: "text", text: s }] }] });
const inRoom = (extra: (e: MatrixEventJson) => boolean) => (i: SyncItem) =>
  i.kind === "timeline" && i.roomId === h.roomId && extra(i.event);

/** Bob has read the room up to a new message of his own: what came before it is all in `seen`. */
async function roomReadToHere(): Promise<void> {
  const marker = `marker ${Date.now()} ${Math.random()}`;
  await h.bob.sendText(h.roomId, marker);
  await h.bob.waitFor(
    inRoom((e) => e.content.body === marker),
    15_000,
    "bob's marker",
  );
}

describe("the same delivery sent again", () => {
  test("a message sent twice under one key, also by a restarted bridge, is one event with one ID", async () => {
    const key = `to-remote test ${Date.now()} message`;
    const message = { channel: h.roomId, sender: carol, text: text("said once"), attachments: [], key };
    const first = await h.connector.send(message);
    const retried = await h.connector.send(message);
    assert.equal(retried.id, first.id);
    // As after a crash: another connector, nothing of the first in memory.
    await h.stopBridge();
    await h.startBridge();
    const resent = await h.connector.send(message);
    assert.equal(resent.id, first.id, "the homeserver answers with the event it made the first time");

    const other = await h.connector.send({ ...message, key: `${key} again` });
    assert.notEqual(other.id, first.id, "another key is another message, even with the same text");
    await roomReadToHere();
    assert.equal(h.bob.seen(inRoom((e) => e.content.body === "said once")).length, 2);
  });

  test("an edit and a reaction sent twice are one event each; a reaction taken back and given again is new", async () => {
    const key = `to-remote test ${Date.now()}`;
    const { id } = await h.connector.send({
      channel: h.roomId,
      sender: carol,
      text: text("to be edited"),
      attachments: [],
      key: `${key} message`,
    });
    const edit = { channel: h.roomId, id, sender: carol, text: text("edited once"), key: `${key} edit` };
    await h.connector.edit(edit);
    await h.connector.edit(edit);
    const reaction = { channel: h.roomId, id, sender: carol, emoji: "👍", key: `${key} add 1` };
    await h.connector.react({ ...reaction, action: "add" });
    await h.connector.react({ ...reaction, action: "add" });
    // Bob reads the first reaction before it is taken back: a sync that reaches it only after its redaction
    // gets it redacted, without the m.relates_to it is counted by (seen once in CI, under load).
    await roomReadToHere();
    await h.connector.react({ ...reaction, action: "remove", key: `${key} remove 1` });
    await h.connector.react({ ...reaction, action: "add", key: `${key} add 2` });
    await roomReadToHere();

    const edits = h.bob.seen(
      inRoom((e) => (e.content["m.new_content"] as { body?: string } | undefined)?.body === "edited once"),
    );
    assert.equal(edits.length, 1, "one edit");
    const reactions = h.bob.seen(
      inRoom(
        (e) =>
          e.type === "m.reaction" && (e.content["m.relates_to"] as { event_id?: string } | undefined)?.event_id === id,
      ),
    );
    assert.equal(reactions.length, 2, "the first reaction once, and the one given again after it was taken back");
    const redactions = h.bob.seen(
      inRoom((e) => e.type === "m.room.redaction" && (e.redacts ?? e.content.redacts) === reactions[0]?.event.event_id),
    );
    assert.equal(redactions.length, 1, "the first reaction was taken back");
  });

  test("a deletion and a reaction's removal sent twice are one redaction of each event", async () => {
    const key = `to-remote test ${Date.now()} parts`;
    // A message with a file is two parts, as the engine sends it (one file per Matrix event): the text, then the file.
    const { id } = await h.connector.send({
      channel: h.roomId,
      sender: carol,
      text: text("two parts, deleted once"),
      attachments: [],
      key: `${key} message`,
    });
    const { id: fileId } = await h.connector.send({
      channel: h.roomId,
      sender: carol,
      text: text(""),
      attachments: [{ url: fileUrl, filename: "note.txt", contentType: "text/plain" }],
      key: `${key} message#f1`,
      partOf: id,
    });
    const reaction = { channel: h.roomId, id, sender: carol, emoji: "🎉", key: `${key} add` };
    await h.connector.react({ ...reaction, action: "add" });
    // As above: Bob reads the reaction before it is taken back, or a later sync may give it to him redacted.
    await roomReadToHere();
    const removal = { ...reaction, action: "remove" as const, key: `${key} remove` };
    await h.connector.react(removal);
    await h.connector.react(removal);
    const deletions = [
      { channel: h.roomId, id, sender: carol, moderator: false, key: `${key} delete` },
      { channel: h.roomId, id: fileId, sender: carol, moderator: false, key: `${key} delete#f1` },
    ];
    for (const deletion of deletions) await h.connector.delete(deletion);
    // As after a crash between the redactions and their record: a new connector sends the same requests again.
    await h.stopBridge();
    await h.startBridge();
    for (const deletion of deletions) await h.connector.delete(deletion);
    await roomReadToHere();

    const file = h.bob.seen(inRoom((e) => e.content.body === "note.txt"))[0];
    assert.ok(file, "the file is the message's second part");
    const redactionsOf = (target: string | undefined) =>
      h.bob.seen(inRoom((e) => e.type === "m.room.redaction" && (e.redacts ?? e.content.redacts) === target)).length;
    const given = h.bob.seen(
      inRoom(
        (e) => e.type === "m.reaction" && (e.content["m.relates_to"] as { key?: string } | undefined)?.key === "🎉",
      ),
    )[0];
    assert.equal(redactionsOf(given?.event.event_id), 1, "the reaction taken back once");
    assert.equal(redactionsOf(id), 1, "the text redacted once");
    assert.equal(redactionsOf(file.event.event_id), 1, "the file redacted once");
  });
});
