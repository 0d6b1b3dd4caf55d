/**
 * The fake Discord of the soak bench (soak.ts), in a process of its own so
 * that its memory and work are not the bridge's. Driven over IPC; each
 * request is answered once with the same `op`:
 *
 *   { op: "setup", channels, members }  -> { op, token, restUrl, cdnUrl, channels, posters }
 *       a guild with `channels` text channels and `members` members, all online
 *   { op: "post", tag, from, count }    -> { op }
 *       messages `from`..`from + count - 1` of burst `tag`, round-robin over the channels and posters
 *   { op: "relayed" }                   -> { op, count }
 *       messages the bridge has posted through its webhooks so far
 *   { op: "crowd", members }            -> { op }
 *       a second guild (no linked channel) where `members` new members join and come online
 *   { op: "violations" }                -> { op, violations }
 *   { op: "stop" }                      -> { op } and the process exits
 */
import { benchBody, type FakeDiscord, serveFakeNetwork, startFakeDiscord } from "@parley/testkit";

type Request =
  | { op: "setup"; channels: number; members: number }
  | { op: "post"; tag: string; from: number; count: number }
  | { op: "relayed" }
  | { op: "crowd"; members: number };

/** Members who post; the rest are online and silent, as most of a guild is. */
const POSTERS = 20;

let fake: FakeDiscord | undefined;
let channels: string[] = [];
let posters: string[] = [];
let relayed = 0;

const reply = (m: object) => process.send?.(m);

function requireFake(): FakeDiscord {
  if (!fake) throw new Error("setup must come first");
  return fake;
}

async function handle(r: Request): Promise<void> {
  switch (r.op) {
    case "setup": {
      // Discord allows 5 webhook posts per 2 s per webhook; the soak measures memory, not Discord's pace.
      fake = await startFakeDiscord({ botName: "Parley", rateLimit: { limit: 1000, windowMs: 1000 } });
      fake.on("dispatch", (d: { t: string; d: unknown }) => {
        if (d.t === "MESSAGE_CREATE" && typeof (d.d as { webhook_id?: unknown }).webhook_id === "string") relayed++;
      });
      const guild = fake.createGuild({ name: "soak" });
      channels = Array.from(
        { length: r.channels },
        (_, i) => requireFake().createChannel(guild.id, { name: `soak-${i + 1}` }).id,
      );
      const members = Array.from({ length: r.members }, (_, i) => {
        const m = requireFake().addMember(guild.id, { username: `member${i + 1}`, globalName: `Member ${i + 1}` });
        requireFake().setPresence(m.user.id, { status: "online" });
        return m.user.id;
      });
      posters = members.slice(0, POSTERS);
      reply({ op: "setup", token: fake.token, restUrl: fake.restUrl, cdnUrl: fake.cdnUrl, channels, posters });
      return;
    }
    case "post": {
      const f = requireFake();
      for (let seq = r.from; seq < r.from + r.count; seq++) {
        f.post(
          channels[seq % channels.length] as string,
          posters[seq % posters.length] as string,
          benchBody(r.tag, seq),
        );
      }
      reply({ op: "post" });
      return;
    }
    case "relayed":
      reply({ op: "relayed", count: relayed });
      return;
    case "crowd": {
      const f = requireFake();
      const guild = f.createGuild({ name: "crowd" });
      for (let i = 0; i < r.members; i++) {
        const m = f.addMember(guild.id, { username: `crowd${i + 1}`, globalName: `Crowd ${i + 1}` });
        f.setPresence(m.user.id, { status: "online" });
        // Let the gateway frames go out as they are made, as Discord's would, instead of all at the end.
        if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
      }
      reply({ op: "crowd" });
      return;
    }
  }
}

serveFakeNetwork<Request>(() => fake, handle);
