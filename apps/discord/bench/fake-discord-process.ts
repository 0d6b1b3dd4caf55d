/**
 * The fake Discord in a process of its own, driven over IPC by the bench: in
 * a deployment Discord is another machine, so its work (building messages,
 * encoding and sending gateway frames) must not be charged to the bridge's
 * process. Post times are taken on the shared wall clock with sub-millisecond
 * precision (`performance.timeOrigin + performance.now()`), so the bench can
 * subtract them from arrival times taken in its own process.
 *
 * Protocol (parent -> child, each answered once with the same `op`):
 *   { op: "setup", channels: n }     -> { op, token, restUrl, cdnUrl, userId, channels: string[] }
 *   { op: "post", channel, bodies, intervalMs } -> { op, sentAt: number[] }
 *   { op: "violations" }             -> { op, violations: string[] }
 *   { op: "stop" }                   -> { op } and the process exits
 */
import { type FakeDiscord, startFakeDiscord, wallNow } from "@parley/testkit";

type Request =
  | { op: "setup"; channels: number }
  | { op: "post"; channel: string; bodies: string[]; intervalMs: number }
  | { op: "violations" }
  | { op: "stop" };

let fake: FakeDiscord | undefined;
let userId = "";

const reply = (m: object) => process.send?.(m);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function handle(r: Request): Promise<void> {
  switch (r.op) {
    case "setup": {
      fake = await startFakeDiscord({ botName: "Parley" });
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
    case "post": {
      if (!fake) throw new Error("post before setup");
      const sentAt: number[] = [];
      const start = wallNow();
      for (const [i, body] of r.bodies.entries()) {
        if (r.intervalMs > 0) {
          const wait = start + i * r.intervalMs - wallNow();
          if (wait > 1) await sleep(wait);
        }
        sentAt.push(wallNow());
        fake.post(r.channel, userId, body);
      }
      reply({ op: "post", sentAt });
      return;
    }
    case "violations":
      reply({ op: "violations", violations: [...(fake?.violations ?? [])] });
      return;
    case "stop":
      await fake?.stop();
      reply({ op: "stop" });
      process.exit(0);
  }
}

process.on("message", (r: Request) => {
  handle(r).catch((e: unknown) => {
    reply({ op: "error", message: e instanceof Error ? e.message : String(e) });
  });
});
process.on("disconnect", () => {
  void fake?.stop().finally(() => process.exit(0));
});
