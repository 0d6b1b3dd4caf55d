/**
 * The demo's prompt: acts as the fake Discord's members (post, reply, edit,
 * delete, react, type, change presence) and the fake Slack's, and prints what
 * the bridges post to Discord (and, from slack-side.ts, to Slack) on behalf of
 * XMPP users.
 */
import { createInterface } from "node:readline/promises";
import type { FakeDiscord } from "@parley/testkit";
import type { MatrixSide } from "./matrix-side.ts";
import type { SlackSide } from "./slack-side.ts";

export interface DemoWorld {
  readonly discord: FakeDiscord;
  readonly guildId: string;
  readonly channelId: string;
  readonly members: ReadonlyArray<{ readonly user: { readonly id: string; readonly username: string } }>;
  readonly slack: SlackSide;
  /** Absent when Synapse could not be had. */
  readonly matrix: MatrixSide | undefined;
  readonly say: (line: string) => void;
}

const HELP = `commands (member = ada, grace or linus):
  say <member> <text>           post in #lobby (Discord markdown: **bold**, *italic*, ||spoiler||, > quote…)
  reply <member> <text>         answer the latest message
  edit <member> <text>          edit the member's latest message
  delete <member>               delete the member's latest message
  react <member> <emoji>        react to the latest message (again to remove it)
  typing <member>               show the member typing
  presence <member> <online|idle|dnd|offline> [status text]
  nick <member> <new nick>      change the member's server nickname
  history                       the last messages of #lobby as Discord has them
  slack <hedy|barbara> <text>   post in #lobby on Slack
  sedit <hedy|barbara> <text>   edit the Slack member's latest message
  shistory                      the last messages of #lobby as Slack has them
  matrix <text>                 post as the Matrix user "demo" in #lobby:localhost
  mhistory                      the last messages of #lobby:localhost as Matrix has them
  quit                          stop everything`;

const STATUSES = ["online", "idle", "dnd", "offline"] as const;

export async function runPrompt(w: DemoWorld): Promise<void> {
  const d = w.discord;
  const memberOf = (name: string | undefined) =>
    w.members.find((m) => m.user.username.toLowerCase() === (name ?? "").toLowerCase());
  const latest = () => d.messages(w.channelId).at(-1);
  const latestOf = (userId: string) =>
    d
      .messages(w.channelId)
      .filter((m) => m.author.id === userId)
      .at(-1);
  const reacted = new Set<string>();

  // What XMPP users write reaches Discord through the channel's webhook.
  const shown = new Set<string>();
  d.on("request", (r) => {
    if (r.status >= 300 || !/^\/(v10\/)?webhooks\//.test(r.path.replace(/^\/api/, ""))) return;
    for (const m of d.messages(w.channelId)) {
      if (m.webhook_id === undefined || shown.has(m.id)) continue;
      shown.add(m.id);
      w.say(`\n[discord #lobby] ${m.author.username}: ${m.content}`);
    }
  });

  const rl = createInterface({ input: process.stdin, output: process.stdout });
  w.say(HELP);
  for (;;) {
    let line: string;
    try {
      line = (await rl.question("discord> ")).trim();
    } catch {
      break; // stdin closed
    }
    if (line === "") continue;
    const [cmd = "", name, ...rest] = line.split(/\s+/);
    const text = rest.join(" ");
    if (cmd === "quit" || cmd === "exit") break;
    if (cmd === "help") {
      w.say(HELP);
      continue;
    }
    if (cmd === "history") {
      for (const m of d.messages(w.channelId).slice(-10)) w.say(`  ${m.author.username}: ${m.content}`);
      continue;
    }
    if (cmd === "slack" || cmd === "sedit" || cmd === "shistory") {
      slackCommand(w, cmd, name, text);
      continue;
    }
    if (cmd === "matrix" || cmd === "mhistory") {
      if (!w.matrix) {
        w.say("the Matrix side is not running in this demo");
        continue;
      }
      try {
        if (cmd === "matrix") await w.matrix.post([name, ...rest].join(" "));
        else for (const m of await w.matrix.recent()) w.say(`  ${m.sender}: ${m.body}`);
      } catch (e) {
        w.say(`that did not work: ${e instanceof Error ? e.message : String(e)}`);
      }
      continue;
    }
    const member = memberOf(name);
    if (!member) {
      w.say(`no member "${name ?? ""}": ${w.members.map((m) => m.user.username).join(", ")}`);
      continue;
    }
    const id = member.user.id;
    try {
      switch (cmd) {
        case "say":
          d.post(w.channelId, id, text);
          break;
        case "reply": {
          const target = latest();
          d.post(w.channelId, id, text, target ? { replyTo: target.id } : {});
          break;
        }
        case "edit": {
          const m = latestOf(id);
          if (m) d.edit(w.channelId, m.id, text);
          else w.say(`${name} has not posted yet`);
          break;
        }
        case "delete": {
          const m = latestOf(id);
          if (m) d.remove(w.channelId, m.id);
          else w.say(`${name} has not posted yet`);
          break;
        }
        case "react": {
          const m = latest();
          if (!m || text === "") {
            w.say("react <member> <emoji>, once a message exists");
            break;
          }
          const key = `${m.id} ${id} ${text}`;
          const action = reacted.has(key) ? "remove" : "add";
          if (action === "add") reacted.add(key);
          else reacted.delete(key);
          d.react(w.channelId, m.id, id, text, action);
          break;
        }
        case "typing":
          d.typing(w.channelId, id);
          break;
        case "presence": {
          const [status, ...words] = rest;
          const s = STATUSES.find((x) => x === status);
          if (!s) {
            w.say(`presence <member> <${STATUSES.join("|")}> [status text]`);
            break;
          }
          const customStatus = words.join(" ");
          d.setPresence(id, { status: s, ...(customStatus !== "" && { customStatus }) });
          break;
        }
        case "nick":
          d.updateMember(w.guildId, id, { nick: text === "" ? null : text });
          break;
        default:
          w.say(`unknown command "${cmd}"; type help`);
      }
    } catch (e) {
      w.say(`that did not work: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  rl.close();
}

/** The Slack commands: a member posts or edits in #lobby, or the channel's last messages as Slack has them. */
function slackCommand(w: DemoWorld, cmd: string, name: string | undefined, text: string): void {
  const s = w.slack;
  if (cmd === "shistory") {
    const nameOf = (id: string | undefined) => s.members.find((m) => m.id === id)?.name;
    for (const m of s.fake.messages(s.channelId).slice(-10)) {
      w.say(`  ${m.username ?? nameOf(m.user) ?? m.user ?? "?"}: ${m.text ?? ""}`);
    }
    return;
  }
  const member = s.members.find((m) => m.name === (name ?? "").toLowerCase());
  if (!member) {
    w.say(`no Slack member "${name ?? ""}": ${s.members.map((m) => m.name).join(", ")}`);
    return;
  }
  try {
    if (cmd === "slack") {
      s.fake.post(s.channelId, member.id, text);
      return;
    }
    const mine = s.fake
      .messages(s.channelId)
      .filter((m) => m.user === member.id)
      .at(-1);
    if (mine) s.fake.edit(s.channelId, mine.ts, text);
    else w.say(`${member.name} has not posted on Slack yet`);
  } catch (e) {
    w.say(`that did not work: ${e instanceof Error ? e.message : String(e)}`);
  }
}
