/**
 * The hostile cases, by the side they come from. Each `act` does one hostile
 * thing; the runner then checks the bridge (no crash, no link drop), sends a
 * normal message the same way (relayed: not stalled), and looks for anything
 * relayed as someone else. Words an attacker wants relayed carry "PWNED", so
 * a victim's name on them is a spoof wherever it shows.
 */
import { buildIq, buildMessage, buildPresence, buildRetraction, type Element, element } from "@parley/stanza";
import { stanzaId } from "@parley/testkit";
import type { World } from "./world.ts";

export interface Anchors {
  /** Alice's message on XMPP: its id and the room's stanza-id; its copy on the network. */
  alice?: { id: string; stanzaId: string; remoteId?: string; occupantId?: string };
  /** The network victim's message (Ada, Bob) as XMPP got it: its ids there; and its id on the network. */
  remote?: { ids: string[]; remoteId: string };
}

export interface HostileCase {
  readonly name: string;
  /** The way the case attacks, and the way its probe goes. */
  readonly via: "xmpp" | "discord" | "slack" | "matrix";
  readonly act: (w: World, anchors: Anchors) => Promise<void>;
}

const PWNED = "PWNED";

/** `depth` unknown elements, each inside the last. */
function nested(depth: number, name = "x"): Element {
  const root = element(name, { xmlns: "urn:example:hostile" });
  let at = root;
  for (let i = 1; i < depth; i++) {
    const child = element(name, {});
    at.cnode(child);
    at = child;
  }
  return root;
}

/** A groupchat from the attacker: the body and anything else given. */
function eveSays(w: World, body: string | undefined, ...children: Element[]): Promise<void> {
  const el = buildMessage({ type: "groupchat", to: w.room, id: stanzaId("eve"), ...(body !== undefined && { body }) });
  for (const c of children) el.cnode(c);
  return w.eve.send(el);
}

// --- XMPP ----------------------------------------------------------------------------------------

const BODIES: Array<[string, string]> = [
  ["a 20 KB body", `${PWNED} ${"a".repeat(20_000)}`],
  ["a 50 KB body", `${PWNED} ${"b".repeat(50_000)}`],
  ["a body of 10,000 lines", `${PWNED}\n${"line\n".repeat(10_000)}`],
  ["10,000 combining marks", `${PWNED} e${"\u0301".repeat(10_000)}`],
  ["right-to-left overrides", `${PWNED} \u202Eevil\u202C \u202Dmore\u202C`],
  ["zero-width characters", `${PWNED} a\u200Bd\u200Ca\u200D\uFEFF`],
  ["a markdown bomb of asterisks", `${PWNED} ${"*".repeat(10_000)}`],
  ["a markdown bomb of underscores and tildes", `${PWNED} ${"_~".repeat(5_000)}`],
  ["1,000 nested quotes", `${PWNED}\n${">".repeat(1_000)} deep`],
  ["5,000 backticks", `${PWNED} ${"`".repeat(5_000)}`],
  ["@everyone and @here", `${PWNED} @everyone @here`],
  ["Discord mention syntax", `${PWNED} <@123456789012345678> <@&1> <#1> <t:99999999999999:R>`],
  ["a forged sender line", `${PWNED}\n**Ada** (ada@example.org): send me your password`],
  ["a markdown link to javascript:", `${PWNED} [click](javascript:alert(1))`],
  ["HTML in the body", `${PWNED} <script>alert(1)</script><img src=x onerror=alert(1)>`],
  ["emoji sequences", `${PWNED} ${"👩‍👩‍👧‍👦".repeat(500)}`],
  ["private-use and noncharacters", `${PWNED} \uE000\uF8FF\uFDD0\uFFFE`],
  ["a styling bomb", `${PWNED} ${"*_~`".repeat(2_500)}`],
  ["an empty body", ""],
  ["only whitespace", " \n\t \n"],
];

const IDS: Array<[string, (w: World, a: Anchors) => Element]> = [
  ["an id of 300 characters", (w) => buildMessage({ type: "groupchat", to: w.room, id: "i".repeat(300), body: PWNED })],
  [
    "an id of 2,000 characters",
    (w) => buildMessage({ type: "groupchat", to: w.room, id: "j".repeat(2000), body: PWNED }),
  ],
  [
    "an id of 300 multibyte characters",
    (w) => buildMessage({ type: "groupchat", to: w.room, id: "é".repeat(300), body: PWNED }),
  ],
  [
    "an origin-id of 2,000 characters",
    (w) => buildMessage({ type: "groupchat", to: w.room, id: stanzaId("o"), originId: "k".repeat(2000), body: PWNED }),
  ],
  [
    "a correction naming an id of 2,000 characters",
    (w) =>
      buildMessage({
        type: "groupchat",
        to: w.room,
        id: stanzaId("c"),
        body: PWNED,
        replace: { id: "r".repeat(2000) },
      }),
  ],
  [
    "a retraction naming an id of 2,000 characters",
    (w) => buildRetraction({ type: "groupchat", to: w.room, id: stanzaId("r"), retractId: "t".repeat(2000) }),
  ],
  [
    "a reply to an id of 2,000 characters",
    (w) =>
      buildMessage({
        type: "groupchat",
        to: w.room,
        id: stanzaId("p"),
        body: PWNED,
        reply: { id: "q".repeat(2000), to: `${w.room}/alice` },
      }),
  ],
  [
    "a reaction to an id of 2,000 characters",
    (w) =>
      buildMessage({
        type: "groupchat",
        to: w.room,
        id: stanzaId("x"),
        reactions: { id: "z".repeat(2000), emojis: ["👍"] },
      }),
  ],
  [
    "a correction of a message that never was",
    (w) =>
      buildMessage({
        type: "groupchat",
        to: w.room,
        id: stanzaId("c"),
        body: PWNED,
        replace: { id: "no-such-message" },
      }),
  ],
  [
    "a reply to a message that never was",
    (w) =>
      buildMessage({
        type: "groupchat",
        to: w.room,
        id: stanzaId("p"),
        body: PWNED,
        reply: { id: "no-such-message", to: `${w.room}/alice` },
      }),
  ],
];

const REACTIONS: Array<[string, string[]]> = [
  ["a reaction of 5,000 characters", ["x".repeat(5000)]],
  ["a reaction of 65 characters", ["y".repeat(65)]],
  ["100 reactions at once", Array.from({ length: 100 }, (_, i) => `r${i}`)],
  ["a text reaction", [`${PWNED} not an emoji`]],
  ["an empty reaction", [""]],
  ["a reaction of combining marks", [`e${"\u0301".repeat(200)}`]],
];

function spoofCases(): HostileCase[] {
  const c = (name: string, act: HostileCase["act"]): HostileCase => ({ name: `xmpp: ${name}`, via: "xmpp", act });
  return [
    c("a correction of another occupant's message", (w, a) =>
      w.eve.send(
        buildMessage({
          type: "groupchat",
          to: w.room,
          id: stanzaId("c"),
          body: `${PWNED} alice said this`,
          replace: { id: a.alice?.id ?? "" },
        }),
      ),
    ),
    c("a correction naming the stanza-id of another occupant's message", (w, a) =>
      w.eve.send(
        buildMessage({
          type: "groupchat",
          to: w.room,
          id: stanzaId("c"),
          body: `${PWNED} by stanza-id`,
          replace: { id: a.alice?.stanzaId ?? "" },
        }),
      ),
    ),
    c("a retraction of another occupant's message", (w, a) =>
      w.eve.send(
        buildRetraction({ type: "groupchat", to: w.room, id: stanzaId("r"), retractId: a.alice?.stanzaId ?? "" }),
      ),
    ),
    c("a forged occupant-id with a correction", (w, a) => {
      const el = buildMessage({
        type: "groupchat",
        to: w.room,
        id: stanzaId("c"),
        body: `${PWNED} forged occupant`,
        replace: { id: a.alice?.id ?? "" },
      });
      el.cnode(element("occupant-id", { xmlns: "urn:xmpp:occupant-id:0", id: "forged-occupant-id" }));
      return w.eve.send(el);
    }),
    // The bridge takes the occupant-id the room stamps on a message as its author when it knows nobody at that
    // nick: alice's own, copied, must not make eve's correction hers (the room replaces or strips it).
    c("a correction carrying the occupant-id of the message's author", (w, a) => {
      const el = buildMessage({
        type: "groupchat",
        to: w.room,
        id: stanzaId("c"),
        body: `${PWNED} with alice's occupant-id`,
        replace: { id: a.alice?.id ?? "" },
      });
      el.cnode(element("occupant-id", { xmlns: "urn:xmpp:occupant-id:0", id: a.alice?.occupantId ?? "alice" }));
      return w.eve.send(el);
    }),
    c("a forged from attribute", (w) => {
      const el = buildMessage({ type: "groupchat", to: w.room, id: stanzaId("f"), body: `${PWNED} forged from` });
      el.attrs.from = `${w.room}/alice`;
      return w.eve.send(el);
    }),
    c("a forged stanza-id claiming the room", (w) => {
      const el = buildMessage({ type: "groupchat", to: w.room, id: stanzaId("s"), body: `${PWNED} forged stanza-id` });
      el.cnode(element("stanza-id", { xmlns: "urn:xmpp:sid:0", by: w.room, id: "forged" }));
      return w.eve.send(el);
    }),
    c("a moderation request without the right", (w, a) =>
      w.eve
        .iq(
          buildIq({
            type: "set",
            id: stanzaId("m"),
            to: w.room,
            payload: element(
              "moderate",
              { xmlns: "urn:xmpp:message-moderate:1", id: a.alice?.stanzaId ?? "" },
              element("retract", { xmlns: "urn:xmpp:message-retract:1" }),
            ),
          }),
          5000,
        )
        .then(() => undefined),
    ),
    c("a nick that copies a Discord member's name", async (w) => {
      await w.eve.send(buildPresence({ to: `${w.room}/Ada` }));
      await new Promise((r) => setTimeout(r, 300));
      await w.eve.send(buildMessage({ type: "groupchat", to: w.room, id: stanzaId("n"), body: `${PWNED} I am Ada` }));
      await new Promise((r) => setTimeout(r, 300));
      await w.eve.send(buildPresence({ to: `${w.room}/eve` }));
    }),
    c("a nick with invisible characters copying a name", async (w) => {
      await w.eve.send(buildPresence({ to: `${w.room}/A\u200Bda` }));
      await new Promise((r) => setTimeout(r, 300));
      await w.eve.send(
        buildMessage({ type: "groupchat", to: w.room, id: stanzaId("n"), body: `${PWNED} I am Ada too` }),
      );
      await new Promise((r) => setTimeout(r, 300));
      await w.eve.send(buildPresence({ to: `${w.room}/eve` }));
    }),
    c("a direct message to a puppet with a forged sender line", (w) =>
      w.eve.send(
        buildMessage({
          type: "chat",
          to: `ada@${w.componentDomain}`,
          id: stanzaId("d"),
          body: `hi\n**alice** (alice@x): ${PWNED}`,
        }),
      ),
    ),
  ];
}

function deepCases(): HostileCase[] {
  const out: HostileCase[] = [];
  for (const depth of [64, 100, 300, 1000]) {
    out.push({
      name: `xmpp: a groupchat nested ${depth} deep`,
      via: "xmpp",
      act: (w) => eveSays(w, PWNED, nested(depth)),
    });
    out.push({
      name: `xmpp: a direct message nested ${depth} deep`,
      via: "xmpp",
      act: (w) => {
        const el = buildMessage({ type: "chat", to: `someone@${w.componentDomain}`, id: stanzaId("d"), body: "hi" });
        el.cnode(nested(depth));
        return w.eve.send(el);
      },
    });
    out.push({
      name: `xmpp: a request nested ${depth} deep`,
      via: "xmpp",
      act: (w) =>
        w.eve
          .iq(buildIq({ type: "get", id: stanzaId("q"), to: w.componentDomain, payload: nested(depth) }), 5000)
          .then(() => undefined),
    });
  }
  out.push({
    name: "xmpp: 500 sibling elements",
    via: "xmpp",
    act: (w) => eveSays(w, PWNED, ...Array.from({ length: 500 }, () => element("y", { xmlns: "urn:example:wide" }))),
  });
  out.push({
    name: "xmpp: an attribute of 50 KB",
    via: "xmpp",
    act: (w) => eveSays(w, PWNED, element("y", { xmlns: "urn:example:fat", a: "v".repeat(50_000) })),
  });
  return out;
}

function malformedCases(): HostileCase[] {
  const c = (name: string, act: HostileCase["act"]): HostileCase => ({ name: `xmpp: ${name}`, via: "xmpp", act });
  return [
    c("two bodies", (w) => eveSays(w, PWNED, element("body", {}, "second body"))),
    c("100 bodies in other languages", (w) =>
      eveSays(
        w,
        PWNED,
        ...Array.from({ length: 100 }, (_, i) => element("body", { "xml:lang": `x-${i}` }, `${PWNED} ${i}`)),
      ),
    ),
    c("an OOB URL to javascript:", (w) =>
      eveSays(
        w,
        "javascript:alert(1)",
        element("x", { xmlns: "jabber:x:oob" }, element("url", {}, "javascript:alert(1)")),
      ),
    ),
    c("an OOB URL to file:", (w) =>
      eveSays(
        w,
        "file:///etc/passwd",
        element("x", { xmlns: "jabber:x:oob" }, element("url", {}, "file:///etc/passwd")),
      ),
    ),
    c("an OOB URL of 10 KB", (w) =>
      eveSays(
        w,
        PWNED,
        element("x", { xmlns: "jabber:x:oob" }, element("url", {}, `http://example.invalid/${"u".repeat(10_000)}`)),
      ),
    ),
    c("an OOB element without a URL", (w) => eveSays(w, PWNED, element("x", { xmlns: "jabber:x:oob" }))),
    c("20 OOB URLs", (w) =>
      eveSays(
        w,
        PWNED,
        ...Array.from({ length: 20 }, (_, i) =>
          element("x", { xmlns: "jabber:x:oob" }, element("url", {}, `http://example.invalid/${i}`)),
        ),
      ),
    ),
    c("a thread id of 5,000 characters", (w) => eveSays(w, PWNED, element("thread", {}, "t".repeat(5000)))),
    c("50 chat states at once", async (w) => {
      for (let i = 0; i < 50; i++) {
        const state = i % 2 ? "composing" : "paused";
        await eveSays(w, undefined, element(state, { xmlns: "http://jabber.org/protocol/chatstates" }));
      }
    }),
    c("a displayed marker for an id of 2,000 characters", (w) =>
      eveSays(w, undefined, element("displayed", { xmlns: "urn:xmpp:chat-markers:0", id: "m".repeat(2000) })),
    ),
    c("references past the end of the body", (w) =>
      eveSays(
        w,
        PWNED,
        element("reference", {
          xmlns: "urn:xmpp:reference:0",
          type: "mention",
          begin: "1000",
          end: "99999",
          uri: "xmpp:ada@x",
        }),
      ),
    ),
    c("a reference with negative offsets", (w) =>
      eveSays(
        w,
        PWNED,
        element("reference", {
          xmlns: "urn:xmpp:reference:0",
          type: "mention",
          begin: "-5",
          end: "-1",
          uri: "xmpp:x@y",
        }),
      ),
    ),
    c("fallback offsets out of range", (w) =>
      eveSays(
        w,
        PWNED,
        element(
          "fallback",
          { xmlns: "urn:xmpp:fallback:0", for: "urn:xmpp:reply:0" },
          element("body", { start: "50000", end: "-3" }),
        ),
      ),
    ),
    c("a message of type headline", (w) =>
      w.eve.send(buildMessage({ type: "headline", to: w.room, id: stanzaId("h"), body: PWNED })),
    ),
    c("a message of type error to the room", (w) =>
      w.eve.send(
        element("message", { type: "error", to: w.room, id: stanzaId("e") }, element("error", { type: "cancel" })),
      ),
    ),
    c("an unknown message type", (w) =>
      w.eve.send(element("message", { type: "bogus", to: w.room, id: stanzaId("b") }, element("body", {}, PWNED))),
    ),
    c("an iq result nobody asked for", (w) =>
      w.eve.send(element("iq", { type: "result", to: w.componentDomain, id: "unasked" })),
    ),
    c("an iq error nobody asked for", (w) =>
      w.eve.send(
        element(
          "iq",
          { type: "error", to: w.componentDomain, id: "unasked-error" },
          element("error", { type: "cancel" }),
        ),
      ),
    ),
    c("a disco request with a node of 5,000 characters", (w) =>
      w.eve
        .iq(
          buildIq({
            type: "get",
            id: stanzaId("q"),
            to: w.componentDomain,
            payload: element("query", { xmlns: "http://jabber.org/protocol/disco#info", node: "n".repeat(5000) }),
          }),
          5000,
        )
        .then(() => undefined),
    ),
    c("an ad-hoc command from a stranger", (w) =>
      w.eve
        .iq(
          buildIq({
            type: "set",
            id: stanzaId("q"),
            to: w.componentDomain,
            payload: element("command", {
              xmlns: "http://jabber.org/protocol/commands",
              node: "link",
              action: "execute",
            }),
          }),
          5000,
        )
        .then(() => undefined),
    ),
    c("a vCard request for a puppet of 1,000 characters", (w) =>
      w.eve
        .iq(
          buildIq({
            type: "get",
            id: stanzaId("q"),
            to: `${"v".repeat(1000)}@${w.componentDomain}`,
            payload: element("vCard", { xmlns: "vcard-temp" }),
          }),
          5000,
        )
        .then(() => undefined),
    ),
    c("a subscription to a puppet that never was", (w) =>
      w.eve.send(buildPresence({ to: `999999999999999999@${w.componentDomain}`, type: "subscribe" })),
    ),
    c("a presence with a status of 50 KB", (w) =>
      w.eve.send(element("presence", { to: `${w.room}/eve` }, element("status", {}, "s".repeat(50_000)))),
    ),
    c("a presence with an avatar hash of 5,000 characters", (w) =>
      w.eve.send(
        element(
          "presence",
          { to: `${w.room}/eve` },
          element("x", { xmlns: "vcard-temp:x:update" }, element("photo", {}, "h".repeat(5000))),
        ),
      ),
    ),
    c("a nick of 200 characters", async (w) => {
      await w.eve.send(buildPresence({ to: `${w.room}/${"n".repeat(200)}` }));
      await new Promise((r) => setTimeout(r, 300));
      await w.eve.send(buildMessage({ type: "groupchat", to: w.room, id: stanzaId("n"), body: PWNED }));
      await w.eve.send(buildPresence({ to: `${w.room}/eve` }));
    }),
  ];
}

export function xmppCases(): HostileCase[] {
  return [
    ...BODIES.map(
      ([name, body]): HostileCase => ({ name: `xmpp: ${name}`, via: "xmpp", act: (w) => eveSays(w, body) }),
    ),
    ...IDS.map(
      ([name, make]): HostileCase => ({ name: `xmpp: ${name}`, via: "xmpp", act: (w, a) => w.eve.send(make(w, a)) }),
    ),
    ...REACTIONS.map(
      ([name, emojis]): HostileCase => ({
        name: `xmpp: ${name}`,
        via: "xmpp",
        act: (w, a) =>
          w.eve.send(
            buildMessage({
              type: "groupchat",
              to: w.room,
              id: stanzaId("x"),
              reactions: { id: a.alice?.stanzaId ?? "", emojis },
            }),
          ),
      }),
    ),
    ...spoofCases(),
    ...deepCases(),
    ...malformedCases(),
  ];
}

// --- Discord -------------------------------------------------------------------------------------

export function discordCases(): HostileCase[] {
  const c = (name: string, act: HostileCase["act"]): HostileCase => ({ name: `discord: ${name}`, via: "discord", act });
  const raw = (w: World, t: string, d: unknown) => w.discord?.fake.dispatchRaw(t, d, w.discord.guildId);
  const author = (w: World, id?: string) => ({
    id: id ?? w.discord?.mallory ?? "",
    username: "mallory",
    discriminator: "0",
    global_name: "Mallory",
    avatar: null,
  });
  const message = (w: World, over: Record<string, unknown>) => ({
    id: String(BigInt(Date.now()) * 4194304n + BigInt(Math.floor(Math.random() * 4000000))),
    channel_id: w.discord?.channelId,
    guild_id: w.discord?.guildId,
    author: author(w),
    content: PWNED,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
    ...over,
  });
  const create = (name: string, over: (w: World) => Record<string, unknown>) =>
    c(`MESSAGE_CREATE with ${name}`, async (w) => raw(w, "MESSAGE_CREATE", message(w, over(w))));
  return [
    create("a body of 100,000 characters", () => ({ content: `${PWNED} ${"c".repeat(100_000)}` })),
    create("lone surrogates", () => ({ content: `${PWNED} \uD800 \uDFFF` })),
    create("NUL and control characters", () => ({ content: `${PWNED} \u0000\u0001\u001B[31m` })),
    create("100 embeds of 6,000 characters", () => ({
      embeds: Array.from({ length: 100 }, () => ({ title: "t".repeat(256), description: "d".repeat(6000) })),
    })),
    create("an embed of the wrong shape", () => ({ embeds: [{ title: { not: "a string" }, fields: "nope" }] })),
    create("an unknown message type", () => ({ type: 999 })),
    create("a member-join message type", () => ({ type: 7 })),
    create("a thread-starter type without a reference", () => ({ type: 21 })),
    create("no author", () => ({ author: undefined })),
    create("an author id that is not a snowflake", () => ({ author: { id: "not-a-snowflake", username: "x" } })),
    create("an author id out of range", () => ({ author: { id: "99999999999999999999999999", username: "x" } })),
    create("a message id out of range", () => ({ id: "99999999999999999999999999999999" })),
    create("a message id of 2,000 digits", () => ({ id: "1".repeat(2000) })),
    create("a channel that is not linked", () => ({ channel_id: "123" })),
    create("content that is not a string", () => ({ content: { text: PWNED } })),
    create("10,000 user mentions", () => ({
      mentions: Array.from({ length: 10_000 }, (_, i) => ({ id: String(1000 + i), username: `u${i}` })),
    })),
    create("an attachment with a javascript: URL", () => ({
      attachments: [
        { id: "1", filename: "x.png", size: 1, url: "javascript:alert(1)", proxy_url: "javascript:alert(1)" },
      ],
    })),
    create("an attachment of negative size", () => ({
      attachments: [
        { id: "2", filename: "x.bin", size: -1, url: "http://127.0.0.1:1/x", proxy_url: "http://127.0.0.1:1/x" },
      ],
    })),
    create("an attachment with a file name of 5,000 characters", () => ({
      attachments: [
        {
          id: "3",
          filename: "f".repeat(5000),
          size: 1,
          url: "http://127.0.0.1:1/y",
          proxy_url: "http://127.0.0.1:1/y",
        },
      ],
    })),
    create("stickers of the wrong shape", () => ({ sticker_items: [{ id: null, name: 42 }] })),
    create("a reply to a message out of range", () => ({
      type: 19,
      message_reference: { message_id: "9".repeat(40), channel_id: "1" },
    })),
    create("the bot's own id as author", (w) => ({
      author: { id: w.discord?.fake.bot.id, username: "Parley", bot: true },
    })),
    create("a webhook id that is not ours", () => ({ webhook_id: "123456789012345678" })),
    c("MESSAGE_UPDATE of a message that never was", async (w) =>
      raw(w, "MESSAGE_UPDATE", message(w, { id: "123456789012345679", content: `${PWNED} edit` })),
    ),
    c("MESSAGE_UPDATE of the victim's message, claiming another author", async (w, a) =>
      raw(
        w,
        "MESSAGE_UPDATE",
        message(w, { id: a.remote?.remoteId, content: `${PWNED} edited by mallory`, author: author(w) }),
      ),
    ),
    c("MESSAGE_UPDATE without content", async (w, a) =>
      raw(w, "MESSAGE_UPDATE", {
        id: a.remote?.remoteId,
        channel_id: w.discord?.channelId,
        guild_id: w.discord?.guildId,
      }),
    ),
    c("MESSAGE_DELETE of a message out of range", async (w) =>
      raw(w, "MESSAGE_DELETE", { id: "9".repeat(40), channel_id: w.discord?.channelId, guild_id: w.discord?.guildId }),
    ),
    c("MESSAGE_DELETE_BULK of 10,000 ids", async (w) =>
      raw(w, "MESSAGE_DELETE_BULK", {
        ids: Array.from({ length: 10_000 }, (_, i) => String(100000 + i)),
        channel_id: w.discord?.channelId,
        guild_id: w.discord?.guildId,
      }),
    ),
    c("MESSAGE_REACTION_ADD with an emoji name of 5,000 characters", async (w, a) =>
      raw(w, "MESSAGE_REACTION_ADD", {
        user_id: w.discord?.mallory,
        channel_id: w.discord?.channelId,
        message_id: a.remote?.remoteId,
        guild_id: w.discord?.guildId,
        emoji: { id: null, name: "e".repeat(5000) },
      }),
    ),
    c("MESSAGE_REACTION_ADD with a user out of range", async (w, a) =>
      raw(w, "MESSAGE_REACTION_ADD", {
        user_id: "9".repeat(40),
        channel_id: w.discord?.channelId,
        message_id: a.remote?.remoteId,
        guild_id: w.discord?.guildId,
        emoji: { id: null, name: "👍" },
      }),
    ),
    c("MESSAGE_REACTION_REMOVE_ALL of the victim's message", async (w, a) =>
      raw(w, "MESSAGE_REACTION_REMOVE_ALL", {
        channel_id: w.discord?.channelId,
        message_id: a.remote?.remoteId,
        guild_id: w.discord?.guildId,
      }),
    ),
    c("an unknown event type", async (w) => raw(w, "HOSTILE_UNKNOWN_EVENT", { anything: [1, 2, 3] })),
    c("TYPING_START from a user out of range", async (w) =>
      raw(w, "TYPING_START", {
        channel_id: w.discord?.channelId,
        guild_id: w.discord?.guildId,
        user_id: "9".repeat(40),
        timestamp: 1,
      }),
    ),
    c("GUILD_MEMBER_UPDATE with a nick of 5,000 characters", async (w) =>
      raw(w, "GUILD_MEMBER_UPDATE", {
        guild_id: w.discord?.guildId,
        roles: [],
        user: author(w),
        nick: "n".repeat(5000),
        joined_at: new Date().toISOString(),
      }),
    ),
    c("GUILD_MEMBER_UPDATE giving Mallory the victim's name", async (w) =>
      raw(w, "GUILD_MEMBER_UPDATE", {
        guild_id: w.discord?.guildId,
        roles: [],
        user: author(w),
        nick: "alice",
        joined_at: new Date().toISOString(),
      }),
    ),
    c("PRESENCE_UPDATE of the wrong shape", async (w) =>
      raw(w, "PRESENCE_UPDATE", {
        user: { id: w.discord?.mallory },
        guild_id: w.discord?.guildId,
        status: 42,
        activities: "none",
      }),
    ),
    c("CHANNEL_UPDATE with a name of 5,000 characters", async (w) =>
      raw(w, "CHANNEL_UPDATE", {
        id: w.discord?.channelId,
        guild_id: w.discord?.guildId,
        type: 0,
        name: "c".repeat(5000),
      }),
    ),
    c("THREAD_CREATE of the wrong shape", async (w) =>
      raw(w, "THREAD_CREATE", {
        id: "x",
        parent_id: w.discord?.channelId,
        guild_id: w.discord?.guildId,
        type: "thread",
      }),
    ),
    c(
      "a real post of 4,000 characters",
      async (w) => void w.discord?.fake.post(w.discord.channelId, w.discord.mallory, `${PWNED} ${"p".repeat(4000)}`),
    ),
    c(
      "a real post with 10 huge embeds",
      async (w) =>
        void w.discord?.fake.post(w.discord.channelId, w.discord.mallory, PWNED, {
          embeds: Array.from({ length: 10 }, () => ({ title: "t".repeat(256), description: "d".repeat(4096) })),
        }),
    ),
  ];
}

// --- Matrix --------------------------------------------------------------------------------------

export function matrixCases(): HostileCase[] {
  const c = (name: string, act: HostileCase["act"]): HostileCase => ({ name: `matrix: ${name}`, via: "matrix", act });
  const send = async (w: World, type: string, content: unknown): Promise<void> => {
    await w.matrix?.mallory.send(w.matrix.roomId, type, content);
  };
  const text = (over: Record<string, unknown>) => ({ msgtype: "m.text", body: PWNED, ...over });
  const html = (name: string, formatted: string) =>
    c(`HTML: ${name}`, (w) =>
      send(w, "m.room.message", text({ format: "org.matrix.custom.html", formatted_body: formatted })),
    );
  return [
    c("an edit of someone else's message", (w, a) =>
      send(
        w,
        "m.room.message",
        text({
          body: `* ${PWNED}`,
          "m.new_content": text({}),
          "m.relates_to": { rel_type: "m.replace", event_id: a.remote?.remoteId },
        }),
      ),
    ),
    c("an edit of someone else's message with HTML", (w, a) =>
      send(
        w,
        "m.room.message",
        text({
          body: `* ${PWNED}`,
          "m.new_content": text({ format: "org.matrix.custom.html", formatted_body: `<b>${PWNED}</b>` }),
          "m.relates_to": { rel_type: "m.replace", event_id: a.remote?.remoteId },
        }),
      ),
    ),
    c("an edit without new content", (w, a) =>
      send(w, "m.room.message", text({ "m.relates_to": { rel_type: "m.replace", event_id: a.remote?.remoteId } })),
    ),
    c("an edit of an event that never was", (w) =>
      send(
        w,
        "m.room.message",
        text({ "m.new_content": text({}), "m.relates_to": { rel_type: "m.replace", event_id: "$no-such-event" } }),
      ),
    ),
    c("an edit naming an event id of 2,000 characters", (w) =>
      send(
        w,
        "m.room.message",
        text({
          "m.new_content": text({}),
          "m.relates_to": { rel_type: "m.replace", event_id: `$${"e".repeat(2000)}` },
        }),
      ),
    ),
    c("a reaction of 400 characters", (w, a) =>
      send(w, "m.reaction", {
        "m.relates_to": { rel_type: "m.annotation", event_id: a.remote?.remoteId, key: "k".repeat(400) },
      }),
    ),
    c("a reaction of 5,000 characters", (w, a) =>
      send(w, "m.reaction", {
        "m.relates_to": { rel_type: "m.annotation", event_id: a.remote?.remoteId, key: "k".repeat(5000) },
      }),
    ),
    c("an empty reaction", (w, a) =>
      send(w, "m.reaction", { "m.relates_to": { rel_type: "m.annotation", event_id: a.remote?.remoteId, key: "" } }),
    ),
    c("a reaction without a key", (w, a) =>
      send(w, "m.reaction", { "m.relates_to": { rel_type: "m.annotation", event_id: a.remote?.remoteId } }),
    ),
    c("a reaction to an event id of 2,000 characters", (w) =>
      send(w, "m.reaction", {
        "m.relates_to": { rel_type: "m.annotation", event_id: `$${"r".repeat(2000)}`, key: "👍" },
      }),
    ),
    c("a relation that is not an object", (w) => send(w, "m.room.message", text({ "m.relates_to": "nope" }))),
    c("a relation type that is a number", (w) =>
      send(w, "m.room.message", text({ "m.relates_to": { rel_type: 42, event_id: { x: 1 } } })),
    ),
    c("a reply to an event that never was", (w) =>
      send(w, "m.room.message", text({ "m.relates_to": { "m.in_reply_to": { event_id: "$nope" } } })),
    ),
    c("a thread root of the wrong shape", (w) =>
      send(w, "m.room.message", text({ "m.relates_to": { rel_type: "m.thread", event_id: ["x"] } })),
    ),
    c("msgtype m.location", (w) =>
      send(w, "m.room.message", { msgtype: "m.location", body: PWNED, geo_uri: "geo:0,0" }),
    ),
    c("msgtype m.server_notice", (w) => send(w, "m.room.message", { msgtype: "m.server_notice", body: PWNED })),
    c("an unknown msgtype", (w) => send(w, "m.room.message", { msgtype: "x.hostile", body: PWNED })),
    c("a msgtype that is a number", (w) => send(w, "m.room.message", { msgtype: 7, body: PWNED })),
    c("no body", (w) => send(w, "m.room.message", { msgtype: "m.text" })),
    c("a body that is an object", (w) => send(w, "m.room.message", { msgtype: "m.text", body: { text: PWNED } })),
    c("a body of 60 KB", (w) => send(w, "m.room.message", text({ body: `${PWNED} ${"m".repeat(60_000)}` }))),
    c("a body of 10,000 lines", (w) => send(w, "m.room.message", text({ body: `${PWNED}\n${"l\n".repeat(10_000)}` }))),
    c("an image without a URL", (w) => send(w, "m.room.message", { msgtype: "m.image", body: "x.png" })),
    c("an image with a bogus mxc URL", (w) =>
      send(w, "m.room.message", {
        msgtype: "m.image",
        body: "x.png",
        url: `mxc://${"h".repeat(300)}/../../etc/passwd`,
      }),
    ),
    c("a file with an http URL", (w) =>
      send(w, "m.room.message", { msgtype: "m.file", body: "f", url: "http://127.0.0.1:1/secret" }),
    ),
    c("a sticker without a URL", (w) => send(w, "m.sticker", { body: "s" })),
    c("an unknown event type", (w) => send(w, "x.hostile.event", { anything: true })),
    html("1,000 nested divs", `${"<div>".repeat(1000)}${PWNED}${"</div>".repeat(1000)}`),
    html("10,000 bold tags", `${"<b>".repeat(10_000)}${PWNED}`),
    html("a script tag", `<script>alert(1)</script>${PWNED}`),
    html("an image with a javascript: source", `<img src="javascript:alert(1)">${PWNED}`),
    html("a link to javascript:", `<a href="javascript:alert(1)">${PWNED}</a>`),
    html("nested reply fallbacks", `${"<mx-reply>".repeat(200)}x${"</mx-reply>".repeat(200)}${PWNED}`),
    html(
      "a mention of a user id of 2,000 characters",
      `<a href="https://matrix.to/#/@${"u".repeat(2000)}:localhost">${PWNED}</a>`,
    ),
    html("unclosed tags and entities", `<b><i><u>${PWNED}&#xD800;&#0;&bogus;<`),
    html("a table bomb", `<table>${"<tr><td>x</td></tr>".repeat(5000)}</table>${PWNED}`),
    html("a list 500 deep", `${"<ul><li>".repeat(500)}${PWNED}`),
    c("a display name of 5,000 characters", async (w) => {
      await w.matrix?.mallory.state(w.matrix.roomId, "m.room.member", w.matrix.mallory.userId, {
        membership: "join",
        displayname: "d".repeat(5000),
      });
    }),
    c("a display name copying the XMPP victim's nick", async (w) => {
      await w.matrix?.mallory.state(w.matrix.roomId, "m.room.member", w.matrix.mallory.userId, {
        membership: "join",
        displayname: "alice",
      });
    }),
  ];
}
