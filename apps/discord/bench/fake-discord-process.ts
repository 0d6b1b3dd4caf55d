/**
 * The fake Discord in a process of its own, driven over IPC by the bench: in
 * a deployment Discord is another machine, so its work (building messages,
 * encoding and sending gateway frames) must not be charged to the bridge's
 * process. Post times are taken on the shared wall clock with sub-millisecond
 * precision (`performance.timeOrigin + performance.now()`), so the bench can
 * subtract them from arrival times taken in its own process.
 *
 * Protocol (parent -> child, each answered once with the same `op`):
 *   { op: "setup", channels: n, discordRateLimits? } -> { op, token, restUrl, cdnUrl, userId, channels: string[] }
 *     (discordRateLimits: Discord's own limits, DISCORD_RATE_LIMITS, instead of the lenient default)
 *   { op: "post", channel, bodies, intervalMs } -> { op, sentAt: number[] }
 *   { op: "arrivals", channel }       -> { op, arrivals: [content, wall-clock ms][] } (messages created, in order)
 *   { op: "limited" }                -> { op, limited: number } (requests answered 429 so far)
 *   { op: "violations" }             -> { op, violations: string[] }
 *   { op: "stop" }                   -> { op } and the process exits
 */
import { BurstFakeLog, DISCORD_RATE_LIMITS, type FakeDiscord, serveBurstFake, startFakeDiscord } from "@parley/testkit";

type Request = { op: "setup"; channels: number; discordRateLimits?: boolean };

let fake: FakeDiscord | undefined;
let userId = "";
/** Messages created, in the order Discord made them; requests answered 429. */
const log = new BurstFakeLog();

const reply = (m: object) => process.send?.(m);

async function handle(r: Request): Promise<void> {
  switch (r.op) {
    case "setup": {
      fake = await startFakeDiscord({
        botName: "Parley",
        ...(r.discordRateLimits === true && { rateLimit: DISCORD_RATE_LIMITS }),
      });
      fake.on("dispatch", (event) => {
        if (event.t !== "MESSAGE_CREATE") return;
        const d = event.d as { channel_id: string; content: string };
        log.botMessage(d.channel_id, d.content);
      });
      fake.on("request", (request) => {
        if (request.status === 429) log.rateLimited();
      });
      const guild = fake.createGuild({ name: "bench" });
      userId = fake.addMember(guild.id, { username: "poster", globalName: "Poster" }).user.id;
      const channels = Array.from({ length: r.channels }, (_, i) => {
        const c = fake?.createChannel(guild.id, { name: `bench-${i + 1}` });
        if (!c) throw new Error("no fake");
        return c.id;
      });
      reply({ op: "setup", token: fake.token, restUrl: fake.restUrl, cdnUrl: fake.cdnUrl, userId, channels });
      return;
    }
  }
}

serveBurstFake<Request>(
  () => fake,
  () => userId,
  log,
  handle,
);
