/**
 * Messages and reactions: what a bridge writes (chat.postMessage with
 * username/icon_url/thread_ts/blocks, chat.update, chat.delete, reactions)
 * and reads back (conversations.history, conversations.replies,
 * chat.getPermalink), with the errors Slack gives for each: no_text,
 * invalid_blocks, invalid_metadata_format, invalid_metadata_schema, msg_too_long, not_in_channel, message_not_found,
 * cant_update_message, cant_delete_message, already_reacted, no_reaction,
 * invalid_name, thread_not_found.
 */
import { compareTs } from "./ids.ts";
import { type MessageMetadata, type SlackMessage, withoutMetadata } from "./message-store.ts";
import { channelScopes, memberChannel, paginate, requiredStr, scopes, str, visibleChannel } from "./method-kit.ts";
import { SlackApiError } from "./slack-errors.ts";
import type { Args, MethodSpec, SlackWorld } from "./web-api.ts";
import type { SlackChannel } from "./workspace.ts";

/** Block types Slack takes in messages (docs.slack.dev/reference/block-kit/blocks). */
const BLOCK_TYPES = new Set([
  "actions",
  "context",
  "divider",
  "file",
  "header",
  "image",
  "input",
  "markdown",
  "rich_text",
  "section",
  "video",
  "table",
]);

const MAX_TEXT = 40_000;
const MAX_BLOCKS = 50;

/** Parses and checks `blocks` (a JSON array of objects with a known `type`): invalid_blocks otherwise. */
function parseBlocks(raw: string | undefined): unknown[] | undefined {
  if (raw === undefined || raw === "") return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new SlackApiError("invalid_blocks_format");
  }
  if (!Array.isArray(v)) throw new SlackApiError("invalid_blocks_format");
  if (v.length > MAX_BLOCKS)
    throw new SlackApiError("invalid_blocks", blockErrors(["must provide no more than 50 items"]));
  const problems: string[] = [];
  v.forEach((b, i) => {
    if (!b || typeof b !== "object" || typeof (b as { type?: unknown }).type !== "string") {
      problems.push(`missing required field: type [json-pointer:/blocks/${i}/type]`);
    } else if (!BLOCK_TYPES.has((b as { type: string }).type)) {
      problems.push(`unsupported type: ${(b as { type: string }).type} [json-pointer:/blocks/${i}/type]`);
    } else if ((b as { type: string }).type === "section" && !("text" in b) && !("fields" in b)) {
      problems.push(`must provide text or fields [json-pointer:/blocks/${i}]`);
    } else if ((b as { type: string }).type === "rich_text" && !Array.isArray((b as { elements?: unknown }).elements)) {
      problems.push(`missing required field: elements [json-pointer:/blocks/${i}/elements]`);
    }
  });
  if (problems.length > 0) throw new SlackApiError("invalid_blocks", blockErrors(problems));
  return v;
}

function blockErrors(lines: string[]): Record<string, unknown> {
  return { errors: lines, response_metadata: { messages: lines.map((l) => `[ERROR] ${l}`) } };
}

/** chat.postMessage's `channel` may be a channel id or a user id (the bot's DM with them). */
function postTarget(w: SlackWorld, channel: unknown): SlackChannel {
  if (typeof channel === "string" && /^[UW]/.test(channel) && w.ws.user(channel)) return w.ws.openDm(channel);
  const c = visibleChannel(w, channel);
  if (c.is_archived) throw new SlackApiError("is_archived");
  if (!w.ws.botIsMember(c.id) && !(w.hasScope("chat:write.public") && !c.is_private)) {
    throw new SlackApiError("not_in_channel");
  }
  return c;
}

function botMessage(w: SlackWorld, m: SlackMessage): boolean {
  return m.bot_id === w.ws.botId;
}

function existing(w: SlackWorld, channel: string, ts: unknown): SlackMessage {
  const m = typeof ts === "string" || typeof ts === "number" ? w.store.get(channel, String(ts)) : undefined;
  if (!m) throw new SlackApiError("message_not_found");
  return m;
}

/** Standard emoji are named in lower case letters, digits, `_`, `+`, `-` (and a skin tone); a Unicode emoji is not a name. */
function checkReactionName(name: string): string {
  const n = name.replace(/^:|:$/g, "");
  if (!/^[a-z0-9_+'-]+(::skin-tone-[2-6])?$/.test(n)) throw new SlackApiError("invalid_name");
  return n;
}

/**
 * chat.postMessage's `metadata`: a JSON object (form bodies carry it as JSON text) with a string `event_type`
 * and an object `event_payload`; Slack answers invalid_metadata_format for what is not JSON and
 * invalid_metadata_schema for the wrong shape.
 */
function parseMetadata(raw: unknown): MessageMetadata | undefined {
  if (raw === undefined || raw === "") return undefined;
  let v: unknown = raw;
  if (typeof raw === "string") {
    try {
      v = JSON.parse(raw);
    } catch {
      throw new SlackApiError("invalid_metadata_format");
    }
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new SlackApiError("invalid_metadata_format");
  const { event_type, event_payload } = v as { event_type?: unknown; event_payload?: unknown };
  if (
    typeof event_type !== "string" ||
    event_type === "" ||
    !event_payload ||
    typeof event_payload !== "object" ||
    Array.isArray(event_payload)
  ) {
    throw new SlackApiError("invalid_metadata_schema");
  }
  return { event_type, event_payload: structuredClone(event_payload as Record<string, unknown>) };
}

/** What a history read answers: copies, with metadata only when the caller asked for it. */
function readBack(messages: SlackMessage[], args: Args): SlackMessage[] {
  const copies = structuredClone(messages);
  return args.include_all_metadata === true ? copies : copies.map(withoutMetadata);
}

function historyWindow(messages: SlackMessage[], args: Args): SlackMessage[] {
  const latest = args.latest !== undefined ? String(args.latest) : undefined;
  const oldest = args.oldest !== undefined ? String(args.oldest) : undefined;
  const inclusive = args.inclusive === true;
  return messages.filter((m) => {
    if (latest !== undefined && latest !== "") {
      const c = compareTs(m.ts, latest);
      if (c > 0 || (c === 0 && !inclusive)) return false;
    }
    if (oldest !== undefined && oldest !== "" && oldest !== "0") {
      const c = compareTs(m.ts, oldest);
      if (c < 0 || (c === 0 && !inclusive)) return false;
    }
    return true;
  });
}

export const CHAT_METHODS: Record<string, MethodSpec> = {
  "chat.postMessage": {
    scopes: scopes("chat:write", "chat:write:bot"),
    channelArg: "channel",
    run: (w, args) => {
      const c = postTarget(w, args.channel);
      const text = str(args, "text") ?? "";
      const blocks = parseBlocks(str(args, "blocks"));
      const attachments = str(args, "attachments");
      if (text === "" && !blocks && !attachments) throw new SlackApiError("no_text");
      if (text.length > MAX_TEXT) throw new SlackApiError("msg_too_long");
      const threadTs = str(args, "thread_ts");
      if (threadTs !== undefined && threadTs !== "") existing(w, c.id, threadTs);
      const customize = w.hasScope("chat:write.customize");
      const username = customize ? str(args, "username") : undefined;
      const iconUrl = customize ? str(args, "icon_url") : undefined;
      const iconEmoji = customize ? str(args, "icon_emoji") : undefined;
      const broadcast = args.reply_broadcast === true && !!threadTs;
      const metadata = parseMetadata(args.metadata);
      const m = w.store.add(c.id, {
        ...(broadcast ? { subtype: "thread_broadcast" } : {}),
        user: w.ws.botUser.id,
        ...w.botFields(),
        text,
        ...(blocks ? { blocks } : {}),
        team: w.ws.teamId,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(username ? { username } : {}),
        ...(iconUrl ? { icons: { image_64: iconUrl } } : iconEmoji ? { icons: { emoji: iconEmoji } } : {}),
        ...(metadata ? { metadata } : {}),
      });
      w.recordAction({
        kind: "post",
        channel: c.id,
        ts: m.ts,
        text,
        ...(blocks ? { blocks } : {}),
        ...(str(args, "username") !== undefined ? { username: str(args, "username") } : {}),
        ...(str(args, "icon_url") !== undefined ? { icon_url: str(args, "icon_url") } : {}),
        ...(str(args, "icon_emoji") !== undefined ? { icon_emoji: str(args, "icon_emoji") } : {}),
        ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
        ...(typeof args.mrkdwn === "boolean" ? { mrkdwn: args.mrkdwn } : {}),
        ...(broadcast ? { reply_broadcast: true } : {}),
      });
      const { ...message } = structuredClone(m);
      return { channel: c.id, ts: m.ts, message };
    },
  },
  "chat.update": {
    scopes: scopes("chat:write", "chat:write:bot"),
    run: (w, args) => {
      const c = memberChannel(w, args.channel);
      const m = existing(w, c.id, args.ts);
      if (!botMessage(w, m)) throw new SlackApiError("cant_update_message");
      const text = str(args, "text");
      const blocks = parseBlocks(str(args, "blocks"));
      if ((text === undefined || text === "") && !blocks && !str(args, "attachments"))
        throw new SlackApiError("no_text");
      if ((text ?? "").length > MAX_TEXT) throw new SlackApiError("msg_too_long");
      const updated = w.store.edit(c.id, m.ts, w.ws.botUser.id, {
        text: text ?? "",
        ...(blocks ? { blocks } : m.blocks && text === undefined ? { blocks: m.blocks } : {}),
      });
      w.recordAction({
        kind: "update",
        channel: c.id,
        ts: m.ts,
        text: updated.text,
        ...(blocks ? { blocks } : {}),
        ...(m.thread_ts !== undefined && m.thread_ts !== m.ts ? { thread_ts: m.thread_ts } : {}),
      });
      return { channel: c.id, ts: m.ts, text: updated.text, message: structuredClone(updated) };
    },
  },
  "chat.delete": {
    scopes: scopes("chat:write", "chat:write:bot"),
    run: (w, args) => {
      const c = memberChannel(w, args.channel);
      const m = existing(w, c.id, args.ts);
      if (!botMessage(w, m)) throw new SlackApiError("cant_delete_message");
      w.store.remove(c.id, m.ts);
      w.recordAction({
        kind: "delete",
        channel: c.id,
        ts: m.ts,
        ...(m.thread_ts !== undefined && m.thread_ts !== m.ts ? { thread_ts: m.thread_ts } : {}),
      });
      return { channel: c.id, ts: m.ts };
    },
  },
  "chat.getPermalink": {
    scopes: scopes(),
    run: (w, args) => {
      const c = visibleChannel(w, args.channel);
      const m = existing(w, c.id, args.message_ts);
      const p = `https://${w.ws.teamDomain}.slack.com/archives/${c.id}/p${m.ts.replace(".", "")}`;
      const thread = m.thread_ts !== undefined && m.thread_ts !== m.ts ? `?thread_ts=${m.thread_ts}&cid=${c.id}` : "";
      return { channel: c.id, permalink: p + thread };
    },
  },
  "reactions.add": {
    scopes: scopes("reactions:write"),
    run: (w, args) => {
      const c = memberChannel(w, args.channel);
      const name = checkReactionName(requiredStr(args, "name", "invalid_name"));
      const m = existing(w, c.id, args.timestamp);
      w.store.react(c.id, m.ts, w.ws.botUser.id, name, "add");
      w.recordAction({ kind: "react", channel: c.id, ts: m.ts, name });
      return {};
    },
  },
  "reactions.remove": {
    scopes: scopes("reactions:write"),
    run: (w, args) => {
      const c = memberChannel(w, args.channel);
      const name = checkReactionName(requiredStr(args, "name", "invalid_name"));
      const m = existing(w, c.id, args.timestamp);
      w.store.react(c.id, m.ts, w.ws.botUser.id, name, "remove");
      w.recordAction({ kind: "unreact", channel: c.id, ts: m.ts, name });
      return {};
    },
  },
  "conversations.history": {
    scopes: channelScopes("history"),
    run: (w, args) => {
      const c = memberChannel(w, args.channel);
      const newestFirst = historyWindow(w.store.history(c.id), args).reverse();
      const { page, next_cursor } = paginate(newestFirst, args, { defaultLimit: 100, maxLimit: 999 });
      return {
        messages: readBack(page, args),
        has_more: next_cursor !== "",
        pin_count: 0,
        channel_actions_ts: null,
        channel_actions_count: 0,
        response_metadata: { next_cursor },
      };
    },
  },
  "conversations.replies": {
    scopes: channelScopes("history"),
    run: (w, args) => {
      const c = memberChannel(w, args.channel);
      const ts = args.ts !== undefined ? String(args.ts) : "";
      if (ts === "" || !w.store.get(c.id, ts)) throw new SlackApiError("thread_not_found");
      const all = w.store.thread(c.id, ts);
      const [root, ...replies] = all;
      // The root always comes first; the window and paging apply to the replies.
      const windowed = historyWindow(replies, args);
      const { page, next_cursor } = paginate(windowed, args, { defaultLimit: 1000 });
      return {
        messages: readBack(root ? [root, ...page] : page, args),
        has_more: next_cursor !== "",
        response_metadata: { next_cursor },
      };
    },
  },
};
