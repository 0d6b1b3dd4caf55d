/**
 * XMPP -> Slack, a message with files when the bridge goes away between its
 * parts: the text is posted first (chat.postMessage), then each file with
 * the external upload flow. A pass-through withholds one answer, the bridge
 * stops at once (as if killed), and the next start reads the message again
 * from the room's archive: the engine asks the connector whether the post
 * landed, the connector finds the text by its metadata and uploads only the
 * files an earlier attempt had not shared (each upload's file id is on
 * record before it is completed; files.info tells whether it was). Slack
 * ends with the text and each file once, whatever answer was lost.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import { buildMessage } from "@parley/stanza";
import { stanzaId } from "@parley/testkit";
import { AnswerThief } from "./answer-thief.ts";
import { alicePosts, assertNoViolations, type SlackHarness, startHarness, until } from "./harness.ts";

const FILES: Record<string, number> = { "/one.png": 1024, "/two.png": 2048, "/three.png": 512, "/four.png": 256 };

describe("a Slack post with files cut short by a stop", () => {
  let h: SlackHarness;
  const thief = new AnswerThief();
  let files: Server;
  let filesUrl = "";
  before(async () => {
    files = createServer((req, res) => {
      const size = FILES[req.url ?? ""];
      if (size === undefined) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "image/png" });
      res.end(Buffer.alloc(size, 7));
    });
    await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    const apiUrl = await thief.listen();
    h = await startHarness({
      slack: { apiUrl },
      beforeBridge: (fake) => {
        thief.target = fake.apiUrl;
      },
    });
  });
  after(async () => {
    await h?.close();
    await thief.close();
    await new Promise<void>((resolve) => files?.close(() => resolve()));
  });
  afterEach(() => assertNoViolations(h));

  const say = (body: string, urls: readonly string[] = []) =>
    alicePosts(
      h,
      (id) =>
        h.alice.send(
          buildMessage({
            type: "groupchat",
            to: h.room,
            id,
            originId: id,
            body,
            ...(urls.length > 0 && { oob: urls.map((url) => ({ url })) }),
          }),
        ),
      stanzaId("a"),
    );
  const onSlack = (text: string) =>
    h.fake.waitFor(() => h.fake.messages(h.general.id).find((m) => m.text?.startsWith(text)), {
      timeoutMs: 15_000,
      what: `"${text}" on Slack`,
    });
  /** The names of the files the bot shared in the channel, one per share. */
  const sharedNames = () =>
    h.fake
      .botActions(h.general.id)
      .filter((a) => a.kind === "post")
      .flatMap((a) => a.files ?? [])
      .map((id) => h.fake.file(id)?.file.name);
  /** Stops the bridge at once once `held` answers were withheld, and starts it again. */
  const stopAndRestart = async () => {
    await until("the answer to be withheld", () => thief.held === 1);
    thief.hold = () => false;
    thief.held = 0;
    await h.bridge?.stop(0);
    h.bridge = undefined;
    h.connector = undefined;
    await h.startBridge();
  };
  const sharedOnce = async (names: readonly string[]) => {
    await h.fake.waitFor(() => names.every((n) => sharedNames().includes(n)) || undefined, {
      timeoutMs: 20_000,
      what: `${names.join(" and ")} shared on Slack`,
    });
    // A later message through the same room: the replay is over when it is on Slack.
    const after = `after ${names.join(" ")}`;
    await say(after);
    await onSlack(after);
    for (const n of names)
      assert.equal(sharedNames().filter((x) => x === n).length, 1, `${n} shared once: ${sharedNames().join(", ")}`);
  };

  it("uploads the files after the restart when the text's answer was lost", async () => {
    await say("before the stop");
    const first = await onSlack("before the stop");
    await until("the first post to be mapped", async () => (await h.store.byRemoteId("slack", first.ts)).length > 0);

    const body = "text whose answer was lost";
    thief.hold = (method, args) => method === "chat.postMessage" && (args.get("text") ?? "").startsWith(body);
    await say(body, [`${filesUrl}/one.png`, `${filesUrl}/two.png`]);
    const landed = await onSlack(body);
    await stopAndRestart();
    assert.deepEqual(sharedNames(), [], "no file shared before the restart");

    await sharedOnce(["one.png", "two.png"]);
    assert.equal(h.fake.messages(h.general.id).filter((m) => m.text?.startsWith(body)).length, 1, "one text");
    assert.ok((await h.store.byRemoteId("slack", landed.ts)).length > 0, "the text found is mapped");
  });

  it("uploads only the file not shared yet when a file's answer was lost", async () => {
    const body = "text with a file whose answer was lost";
    thief.hold = (method, args) =>
      method === "files.completeUploadExternal" && (args.get("files") ?? "").includes("three.png");
    await say(body, [`${filesUrl}/three.png`, `${filesUrl}/four.png`]);
    await onSlack(body);
    await h.fake.waitFor(() => sharedNames().includes("three.png") || undefined, {
      timeoutMs: 15_000,
      what: "the first file shared, its answer withheld",
    });
    await stopAndRestart();
    assert.ok(!sharedNames().includes("four.png"), "the second file not shared before the restart");

    await sharedOnce(["three.png", "four.png"]);
    assert.equal(h.fake.messages(h.general.id).filter((m) => m.text?.startsWith(body)).length, 1, "one text");
    const lookups = h.fake.requests.filter((r) => r.method === "files.info");
    assert.ok(lookups.length >= 1, "asked Slack whether the file on record was shared");
  });
});
