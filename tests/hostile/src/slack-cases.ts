/**
 * The hostile Slack cases: what arrives over Socket Mode through the fake
 * Slack. Raw frames (`sendRawFrame`) for envelopes of the wrong shape and
 * redelivery floods; events in Slack's own wrapper (`deliverEvent`) for
 * payloads a hostile or broken Slack could send; the scenario API for what a
 * member can really do (take a victim's name, post files). Words an attacker
 * wants relayed carry "PWNED" (see cases.ts).
 */
import { randomUUID } from "node:crypto";
import type { SlackEvent } from "@parley/testkit";
import type { Anchors, HostileCase } from "./cases.ts";
import type { SlackSide, World } from "./world.ts";

const PWNED = "PWNED";

let tsCounter = 0;
/** A Slack ts no message has: now, with a counter for the microseconds. */
function freshTs(): string {
  tsCounter = (tsCounter + 1) % 1_000_000;
  return `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, "0")}`;
}

function side(w: World): SlackSide {
  if (!w.slack) throw new Error("Slack cases run against the Slack world");
  return w.slack;
}

/** A Socket Mode envelope around `payload`, as Slack shapes one. */
function envelope(payload: unknown, o: { id?: string; retry?: number; reason?: string; type?: string } = {}) {
  return {
    envelope_id: o.id ?? randomUUID(),
    type: o.type ?? "events_api",
    payload,
    accepts_response_payload: false,
    retry_attempt: o.retry ?? 0,
    retry_reason: o.reason ?? (o.retry ? "timeout" : ""),
  };
}

/** A message event from Mallory in the linked channel, with `over` on top. */
function message(w: World, over: Record<string, unknown> = {}): SlackEvent {
  const s = side(w);
  return {
    type: "message",
    channel: s.channelId,
    channel_type: "channel",
    user: s.mallory,
    text: PWNED,
    ts: freshTs(),
    ...over,
  } as SlackEvent;
}

/**
 * A raw envelope whose event's `blocks` are `blocksJson` as given (JSON built
 * as text, so nesting can go deeper than JSON.stringify would).
 */
function rawBlocks(w: World, blocksJson: string, over: Record<string, unknown> = {}): void {
  const s = side(w);
  const marker = `__BLOCKS_${randomUUID()}__`;
  const text = JSON.stringify(envelope(s.fake.eventPayload(message(w, { blocks: marker, ...over }))));
  s.fake.sendRawFrame(text.replace(JSON.stringify(marker), blocksJson));
}

/** A file object as Slack puts it in a file_share message, at `url`. */
function file(url: string, over: Record<string, unknown> = {}) {
  return {
    id: `F${randomUUID().slice(0, 10).toUpperCase()}`,
    name: "hostile.png",
    title: "hostile.png",
    mimetype: "image/png",
    filetype: "png",
    size: 1000,
    mode: "hosted",
    url_private: url,
    url_private_download: url,
    ...over,
  };
}

const fileShare = (w: World, files: unknown[], text = PWNED) =>
  side(w).fake.deliverEvent(message(w, { subtype: "file_share", text, files }));

export function slackCases(): HostileCase[] {
  const c = (name: string, act: (w: World, a: Anchors) => void | Promise<void>): HostileCase => ({
    name: `slack: ${name}`,
    via: "slack",
    act: async (w, a) => {
      await act(w, a);
    },
  });
  const frame = (w: World, f: unknown): void => {
    if (!side(w).fake.sendRawFrame(f)) throw new Error("no Socket Mode connection is open");
  };
  const event = (w: World, e: Record<string, unknown>) => side(w).fake.deliverEvent(e as SlackEvent);
  /** A bot's message under `username`, a name that is not the bot's. */
  const botMessageAs = (w: World, username: string) =>
    event(
      w,
      message(w, {
        subtype: "bot_message",
        user: undefined,
        bot_id: "BHOSTILE01",
        username,
        text: `${PWNED} from ${username}`,
      }),
    );
  /** A message_changed that makes the message at `ts` Mallory's, saying `text`. */
  const malloryEdits = (w: World, ts: string, text: string, previous?: Record<string, unknown>) => {
    const s = side(w);
    event(w, {
      type: "message",
      subtype: "message_changed",
      channel: s.channelId,
      hidden: true,
      ts: freshTs(),
      message: { type: "message", user: s.mallory, text, ts, edited: { user: s.mallory, ts: freshTs() } },
      ...(previous && { previous_message: previous }),
    });
  };
  return [
    // --- envelopes and payloads of the wrong shape ---
    c("a frame that is not JSON", (w) => frame(w, `{"envelope_id": "x", ${PWNED}`)),
    c("a frame that is a JSON array", (w) => frame(w, [1, 2, 3])),
    c("a frame that is JSON null", (w) => frame(w, "null")),
    c("envelopes typed like the Socket Mode client's own events", (w) => {
      const payload = side(w).fake.eventPayload(message(w));
      for (const type of ["connected", "disconnected", "reconnecting", "ws_message", "error", "close", "slack_event"])
        frame(w, envelope(payload, { type }));
    }),
    c("events typed like the Socket Mode client's own events", (w) => {
      for (const type of ["disconnected", "ws_message", "slack_event"]) {
        frame(w, envelope(side(w).fake.eventPayload({ ...message(w), type })));
      }
    }),
    c("an envelope without a type", (w) => {
      const { type: _, ...rest } = envelope(side(w).fake.eventPayload(message(w)));
      frame(w, rest);
    }),
    c("an envelope of an unknown type", (w) =>
      frame(w, envelope(side(w).fake.eventPayload(message(w)), { type: "hostile" })),
    ),
    c("an envelope whose type is a number", (w) => frame(w, { ...envelope({}), type: 42 })),
    c("an events_api envelope whose payload is a string", (w) => frame(w, envelope(PWNED))),
    c("an events_api envelope whose payload is null", (w) => frame(w, envelope(null))),
    c("an events_api envelope whose event is an array", (w) =>
      frame(w, envelope({ ...side(w).fake.eventPayload(message(w)), event: [message(w)] })),
    ),
    c("an envelope_id of 100,000 characters", (w) =>
      frame(w, envelope(side(w).fake.eventPayload(message(w)), { id: "e".repeat(100_000) })),
    ),
    c("a disconnect of an unknown reason and a second hello", (w) => {
      frame(w, { type: "disconnect", reason: "hostile", debug_info: { host: "x" } });
      frame(w, { type: "hello", num_connections: -1, connection_info: { app_id: 42 } });
    }),
    c("interactive and slash_commands envelopes of junk", (w) => {
      frame(w, {
        ...envelope({ type: "block_actions", user: 42 }, { type: "interactive" }),
        accepts_response_payload: true,
      });
      frame(w, {
        ...envelope({ command: "/x".repeat(5000) }, { type: "slash_commands" }),
        accepts_response_payload: true,
      });
    }),
    c("an event of an unknown type", (w) => event(w, { type: "hostile_unknown", anything: [1, { deep: PWNED }] })),
    c("a message in a channel that is not linked", (w) => event(w, message(w, { channel: "CNOTLINKED1" }))),
    c("a message without user or bot_id", (w) => {
      const { user: _, ...m } = message(w) as Record<string, unknown>;
      event(w, m);
    }),
    c("a message without ts", (w) => {
      const { ts: _, ...m } = message(w) as Record<string, unknown>;
      event(w, m);
    }),
    c("a ts that is no Slack ts", (w) => event(w, message(w, { ts: "yesterday" }))),
    c("a ts of 40 digits", (w) => event(w, message(w, { ts: `${"9".repeat(33)}.000001` }))),
    c("user, text and channel of the wrong types", (w) =>
      event(w, message(w, { user: { id: side(w).ada }, text: ["x"], thread_ts: 5 })),
    ),
    c("a thread_ts naming the victim's message in another channel", (w, a) =>
      event(w, message(w, { thread_ts: a.remote?.remoteId, channel: "CNOTLINKED2" })),
    ),
    // --- text ---
    c("a text with NUL, control characters and lone surrogates", (w) =>
      event(w, message(w, { text: `${PWNED} a\u0000b\u0001\u001b[31m\uD800 \uDFFF\uFFFE end` })),
    ),
    c("20,000 '<'", (w) => event(w, message(w, { text: `${PWNED} ${"<".repeat(20_000)}` }))),
    c("an unterminated '<' of 100 KB", (w) =>
      event(w, message(w, { text: `${PWNED} <http://${"a".repeat(100_000)}` })),
    ),
    c("special mentions and a forged link label", (w) =>
      event(
        w,
        message(w, {
          text: `${PWNED} <!everyone> <!channel> <!here> <!subteam^S0|@admins> <javascript:alert(1)|https://safe.example>`,
        }),
      ),
    ),
    c("rich_text sections nested 100,000 deep", (w) => {
      const n = 100_000;
      rawBlocks(
        w,
        `[{"type":"rich_text","elements":[${'{"type":"rich_text_section","elements":['.repeat(n)}{"type":"text","text":"${PWNED}"}${"]}".repeat(n)}]}]`,
      );
    }),
    c("rich_text quotes and lists nested 20,000 deep", (w) => {
      const n = 10_000;
      const open = '{"type":"rich_text_quote","elements":[{"type":"rich_text_list","style":"bullet","elements":[';
      rawBlocks(
        w,
        `[{"type":"rich_text","elements":[${open.repeat(n)}{"type":"text","text":"${PWNED}"}${"]}]}".repeat(n)}]}]`,
      );
    }),
    c("a rich_text section of 2,000 elements", (w) =>
      event(
        w,
        message(w, {
          blocks: [
            {
              type: "rich_text",
              elements: [
                {
                  type: "rich_text_section",
                  elements: Array.from({ length: 2_000 }, (_, i) =>
                    i % 2
                      ? { type: "user", user_id: side(w).ada }
                      : { type: "text", text: PWNED, style: { bold: true } },
                  ),
                },
              ],
            },
          ],
        }),
      ),
    ),
    c("2,000 blocks of lists indented 10^9 deep", (w) =>
      event(
        w,
        message(w, {
          blocks: Array.from({ length: 2_000 }, () => ({
            type: "rich_text",
            elements: [
              {
                type: "rich_text_list",
                style: "ordered",
                indent: 1e9,
                elements: [{ type: "emoji", name: "x".repeat(20) }],
              },
            ],
          })),
        }),
      ),
    ),
    c("blocks of the wrong shape", (w) =>
      event(
        w,
        message(w, {
          blocks: [
            null,
            1,
            "x",
            { type: "rich_text", elements: "no" },
            {
              type: "rich_text",
              elements: [null, { type: "rich_text_section", elements: [{ type: "link", url: 42 }, { type: "color" }] }],
            },
          ],
        }),
      ),
    ),
    // --- spoofing ---
    c("message_changed of the victim's message, claiming Mallory as its author", (w, a) => {
      const ts = a.remote?.remoteId ?? freshTs();
      malloryEdits(w, ts, `${PWNED} edited by mallory`, {
        type: "message",
        user: side(w).ada,
        text: "anchor from ada",
        ts,
      });
    }),
    c("message_changed of the message the bridge posted for alice, by Mallory", (w, a) =>
      malloryEdits(w, a.alice?.remoteId ?? freshTs(), `${PWNED} alice said this`),
    ),
    c("message_deleted of the message the bridge posted for alice, without previous_message", (w, a) =>
      event(w, {
        type: "message",
        subtype: "message_deleted",
        channel: side(w).channelId,
        hidden: true,
        ts: freshTs(),
        deleted_ts: a.alice?.remoteId,
      }),
    ),
    c("a bot_message under the victim's name", (w) => botMessageAs(w, "Ada")),
    c("a bot_message under the XMPP victim's nick", (w) => botMessageAs(w, "alice")),
    c("a bot_message claiming the bridge's own name", (w) =>
      event(
        w,
        message(w, {
          subtype: "bot_message",
          user: undefined,
          bot_id: "BHOSTILE02",
          username: "Parley",
          bot_profile: { name: "Parley" },
        }),
      ),
    ),
    c("Mallory's message with a username override of the victim's name", (w) =>
      event(w, message(w, { username: "Ada", bot_profile: { name: "Ada" }, text: `${PWNED} override` })),
    ),
    c("Mallory renames herself Ada and posts", (w) => {
      const s = side(w);
      s.fake.updateUser(s.mallory, { realName: "Ada", displayName: "Ada" });
      s.fake.post(s.channelId, s.mallory, `${PWNED} I am Ada`);
      s.fake.updateUser(s.mallory, { realName: "Mallory", displayName: "Mallory" });
    }),
    c("Mallory renames herself alice and posts", (w) => {
      const s = side(w);
      s.fake.updateUser(s.mallory, { realName: "alice", displayName: "alice" });
      s.fake.post(s.channelId, s.mallory, `${PWNED} I am alice`);
      s.fake.updateUser(s.mallory, { realName: "Mallory", displayName: "Mallory" });
    }),
    c("Mallory's display name of 10,000 characters and zero-width joiners", (w) => {
      const s = side(w);
      s.fake.updateUser(s.mallory, { displayName: `A\u200Bd\u200Ca${"n".repeat(10_000)}` });
      s.fake.post(s.channelId, s.mallory, PWNED);
      s.fake.updateUser(s.mallory, { realName: "Mallory", displayName: "Mallory" });
    }),
    c("a reaction with an emoji name of 10 KB", (w, a) => {
      const s = side(w);
      event(w, {
        type: "reaction_added",
        user: s.mallory,
        reaction: "e".repeat(10_000),
        item: { type: "message", channel: s.channelId, ts: a.remote?.remoteId },
        item_user: s.ada,
        event_ts: freshTs(),
      });
    }),
    c("a reaction of the wrong shape and one by the bridge's bot user", (w, a) => {
      const s = side(w);
      event(w, { type: "reaction_added", user: s.mallory, reaction: 42, item: "x", event_ts: freshTs() });
      event(w, {
        type: "reaction_removed",
        user: s.fake.botUser.id,
        reaction: "thumbsup",
        item: { type: "message", channel: s.channelId, ts: a.alice?.remoteId },
        event_ts: freshTs(),
      });
    }),
    c("user_change of the wrong shape", (w) => {
      event(w, { type: "user_change", user: "not an object" });
      event(w, { type: "user_change", user: { id: side(w).ada, profile: 42, real_name: ["x"], deleted: "yes" } });
    }),
    // --- files ---
    c("a file at a local address that is not Slack's", (w) => fileShare(w, [file(`${side(w).trap.url}/small`)])),
    c("a file at a link-local address", (w) => fileShare(w, [file("http://169.254.169.254/latest/meta-data/")])),
    c("files at non-https URLs", (w) =>
      fileShare(w, [
        file("ftp://127.0.0.1/x"),
        file("javascript:alert(1)"),
        file("file:///etc/passwd"),
        file("not a url"),
      ]),
    ),
    c("a file declaring 10 GB", (w) => fileShare(w, [file(`${side(w).trap.url}/small`, { size: 10 * 1024 ** 3 })])),
    c("a file declaring 1 KB that never stops coming", (w) => fileShare(w, [file(`${side(w).trap.url}/flood`)])),
    c("a file whose download never ends", (w) => fileShare(w, [file(`${side(w).trap.url}/trickle`)])),
    c("1,000 files in one message", (w) =>
      fileShare(
        w,
        Array.from({ length: 1000 }, (_, i) => file(`${side(w).trap.url}/small?${i}`)),
      ),
    ),
    c("files of the wrong shape", (w) =>
      fileShare(w, [
        null,
        42,
        { url_private: 42, size: "big" },
        { url_private: "http://127.0.0.1:1/x", mode: "external", size: -1 },
      ]),
    ),
    // --- redelivery ---
    c("the same envelope 200 times", (w) => {
      const s = side(w);
      const e = envelope(s.fake.eventPayload(message(w, { text: "said once" })));
      for (let i = 0; i < 200; i++) frame(w, { ...e, retry_attempt: i, retry_reason: i ? "timeout" : "" });
    }),
    c("one message in 200 envelopes with their own ids", (w) => {
      const s = side(w);
      const payload = s.fake.eventPayload(message(w, { text: "said once too" }));
      for (let i = 0; i < 200; i++) frame(w, envelope(payload, { retry: i }));
    }),
    c("retry_attempt of 10^15 and a retry_reason of 100 KB", (w) =>
      frame(w, envelope(side(w).fake.eventPayload(message(w)), { retry: 1e15, reason: "r".repeat(100_000) })),
    ),
    // A flood the bridge must drain and go on after. Slack itself takes about one post a second per
    // channel; 1,000 at once reach an ejabberd room here in about 10 s (its MUC takes ~100 a second
    // from a component), 2,000 took longer than the suite's 20 s bound for the next message.
    c("1,000 different messages at once", (w) => {
      for (let i = 0; i < 1000; i++) event(w, message(w, { text: `flood ${i}` }));
    }),
    // Last: what the XMPP server refused in an earlier run of this suite, closing the bridge's stream (its stanza
    // limit is 512 KB for components on Prosody, 1 MB on ejabberd here): 5,000 mentions, a 1 MB body. The engine
    // now cuts a body for XMPP to 40,000 characters with at most 100 references; were it to send a refused stanza
    // again, it would do so on every reconnect and every case after it would fail, hence last.
    c("5,000 user mentions of users that do not exist", (w) =>
      event(
        w,
        message(w, {
          text: `${PWNED} ${Array.from({ length: 5000 }, (_, i) => `<@U${String(i).padStart(9, "0")}>`).join(" ")}`,
        }),
      ),
    ),
    c("5,000 mentions of the victim", (w) =>
      event(w, message(w, { text: `${PWNED} ${`<@${side(w).ada}> `.repeat(5000)}` })),
    ),
    c("a text of 1 MB", (w) => event(w, message(w, { text: `${PWNED} ${"a".repeat(1_000_000)}` }))),
  ];
}
