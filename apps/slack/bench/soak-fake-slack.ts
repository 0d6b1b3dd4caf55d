/**
 * The fake Slack of the soak bench (soak.ts), in a process of its own so that
 * its memory and work are not the bridge's. Driven over IPC; each request is
 * answered once with the same `op`:
 *
 *   { op: "setup", channels, members }  -> { op, botToken, appToken, apiUrl, channels }
 *       `channels` channels with the bot in them, and the first `members`
 *       members, member k in channel k mod `channels`, presence active
 *       (with fewer members than channels, channel i also has member
 *       i mod `members`)
 *   { op: "join", members, posting }    -> { op }
 *       up to `members` members in all: each new one is made (presence
 *       active) and joins its channel (member_joined_channel), as above;
 *       with `posting`, they take their turn in the channel's posts
 *   { op: "post", tag, from, count }    -> { op }
 *       messages `from`..`from + count - 1` of burst `tag`, message n in channel
 *       n mod `channels` by one of that channel's members, in turn
 *   { op: "relayed" }                   -> { op, count }
 *       the bot's successful chat.postMessage calls so far
 *   { op: "redelivered" }               -> { op, count }
 *       Socket Mode envelopes sent again because their ack came late
 *   { op: "violations" }                -> { op, violations }
 *   { op: "stop" }                      -> { op } and the process exits
 */
import { benchBody, type FakeSlack, serveFakeNetwork, startFakeSlack } from "@parley/testkit";

type Request =
  | { op: "setup"; channels: number; members: number }
  | { op: "join"; members: number; posting: boolean }
  | { op: "post"; tag: string; from: number; count: number }
  | { op: "relayed" }
  | { op: "redelivered" };

let fake: FakeSlack | undefined;
let channels: string[] = [];
/** Channel index -> the members who post there. */
let posters: string[][] = [];
let members = 0;
let relayed = 0;

const reply = (m: object) => process.send?.(m);

function requireFake(): FakeSlack {
  if (!fake) throw new Error("setup must come first");
  return fake;
}

/** Member k, active. */
function newMember(f: FakeSlack, k: number): string {
  return f.createUser({ name: `member${k + 1}`, realName: `Member ${k + 1}`, presence: "active" }).id;
}

/** Member k joins channel k mod the channel count: member_joined_channel. */
function addMember(f: FakeSlack, k: number): string {
  const id = newMember(f, k);
  f.joinChannel(channels[k % channels.length] as string, id);
  return id;
}

async function handle(r: Request): Promise<void> {
  switch (r.op) {
    case "setup": {
      // Slack's limits would hold users.info (Tier 4) and chat.postMessage (1 a second per channel): the soak
      // measures memory, not Slack's pace. users.getPresence keeps its pace anyway: the bridge spaces its calls.
      fake = await startFakeSlack({ botName: "Parley", rateLimits: false });
      fake.on("request", (q) => {
        if (q.method === "chat.postMessage" && q.ok) relayed++;
      });
      const f = fake;
      // Members of their channels from the start (no member_joined_channel): the bridge finds them by listing
      // its channels' members and asking their presence.
      const ids = Array.from({ length: r.members }, (_, k) => newMember(f, k));
      // Fewer members than channels: channel i also has member i mod `members`, so every channel has a poster.
      posters = Array.from({ length: r.channels }, (_, i) => {
        const own = ids.filter((_, k) => k % r.channels === i);
        return own.length > 0 || ids.length === 0 ? own : [ids[i % ids.length] as string];
      });
      channels = posters.map((inChannel, i) => f.createChannel({ name: `soak-${i + 1}`, members: inChannel }).id);
      members = r.members;
      reply({ op: "setup", botToken: f.botToken, appToken: f.appToken, apiUrl: f.apiUrl, channels });
      return;
    }
    case "join": {
      const f = requireFake();
      for (let k = members; k < r.members; k++) {
        const id = addMember(f, k);
        if (r.posting) posters[k % channels.length]?.push(id);
        // Let the Socket Mode frames go out as they are made, as Slack's would, instead of all at the end.
        if (k % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
      }
      members = Math.max(members, r.members);
      reply({ op: "join" });
      return;
    }
    case "post": {
      const f = requireFake();
      for (let seq = r.from; seq < r.from + r.count; seq++) {
        const c = seq % channels.length;
        const authors = posters[c] ?? [];
        const author = authors[Math.floor(seq / channels.length) % authors.length];
        if (author === undefined) throw new Error(`channel ${c + 1} has no member to post`);
        f.post(channels[c] as string, author, benchBody(r.tag, seq));
        if (seq % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
      }
      reply({ op: "post" });
      return;
    }
    case "relayed":
      reply({ op: "relayed", count: relayed });
      return;
    case "redelivered": {
      const count = requireFake().envelopes.reduce((n, e) => n + Math.max(0, e.sends - 1), 0);
      reply({ op: "redelivered", count });
      return;
    }
  }
}

serveFakeNetwork<Request>(() => fake, handle);
