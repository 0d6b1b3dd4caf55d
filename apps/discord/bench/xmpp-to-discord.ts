/**
 * `npm run bench` (in apps/discord, after gateway-burst.ts): XMPP -> Discord
 * through real Prosody and the bridge to the fake Discord, which holds every
 * client to Discord's own rate limits (DISCORD_RATE_LIMITS: a webhook
 * executes 5 times per 2 s, 50 requests a second in all), headers included.
 * The ceiling is what those limits allow for the same burst
 * (to-discord-figures.ts), so the ratio says how much of it the bridge uses.
 *
 * - One XMPP user sends a burst into one linked room, then into ten at once
 *   (interleaved); each burst is timed from its first send to the last
 *   message the fake made, and the order Discord shows them in is checked.
 * - Catch-up: the bridge is stopped; the XMPP user says some messages in a
 *   linked room (the bridge reads them from the room's archive when back)
 *   and the fake Discord posts others in the linked channel (read from the
 *   channel's history); from the bridge's start to the last arrival on each
 *   side.
 *
 * The fake runs in a process of its own (fake-discord-process.ts). Settings
 * (environment): PARLEY_BENCH_TO_DISCORD (burst, default 100),
 * PARLEY_BENCH_CHANNEL_MESSAGES (per channel of the ten, 25),
 * PARLEY_BENCH_CATCH_UP (Discord -> XMPP, 10000), PARLEY_BENCH_CATCH_UP_TO_DISCORD
 * (XMPP -> Discord, which the webhook's limit holds to 2.5 a second: 100).
 * Prints a table and writes its figures into bench/results.json.
 */
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger } from "@parley/bridge";
import {
  ArrivalProbe,
  assertFakeSawNoViolations,
  type BenchCleanup,
  type BenchLink,
  BenchWarnings,
  benchSize,
  DISCORD_RATE_LIMITS,
  fakeArrivals,
  progress,
  runBench,
  startRemoteFake,
  startXmppServer,
  timedCatchUp,
  timedFromXmpp,
  wallNow,
  writeMergedBenchResults,
  xmppUserInRooms,
} from "@parley/testkit";
import { discordBenchBridge, type FakeDiscordSetup } from "./bench-bridge.ts";
import { type Limits, type ToDiscordRun, toDiscordResults, toDiscordTable } from "./to-discord-figures.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const MESSAGES = benchSize("PARLEY_BENCH_TO_DISCORD", 100, 100_000);
const PER_CHANNEL = benchSize("PARLEY_BENCH_CHANNEL_MESSAGES", 25, 10_000);
const CATCH_UP_TO_XMPP = benchSize("PARLEY_BENCH_CATCH_UP", 10_000, 100_000);
const CATCH_UP_TO_DISCORD = benchSize("PARLEY_BENCH_CATCH_UP_TO_DISCORD", 100, 100_000);
const CHANNELS = 10;
const TIMEOUT_MS = 1_800_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function limitsOf(): Limits {
  const webhook = DISCORD_RATE_LIMITS.routes?.find((r) => r.route === "/webhooks/{webhook_id}/{webhook_token}");
  const global = DISCORD_RATE_LIMITS.global;
  if (!webhook || !global) throw new Error("DISCORD_RATE_LIMITS has no webhook or global limit");
  return { perWebhook: { limit: webhook.limit, windowMs: webhook.windowMs }, global };
}

async function main(cleanup: BenchCleanup): Promise<void> {
  progress(
    `XMPP -> Discord: ${MESSAGES} messages, ${CHANNELS} channels x ${PER_CHANNEL}, ` +
      `catch-up ${CATCH_UP_TO_DISCORD} to Discord and ${CATCH_UP_TO_XMPP} to XMPP`,
  );
  const component = { domain: "discord.parley.test", secret: randomBytes(12).toString("hex") };
  const server = await startXmppServer("prosody", {
    components: [component],
    archiveItemLimit: CATCH_UP_TO_DISCORD + 1000,
  });
  cleanup.defer(() => server.stop());
  const fake = startRemoteFake(cleanup, join(HERE, "fake-discord-process.ts"), "fake Discord");
  const discord = await fake.ask<FakeDiscordSetup>({
    op: "setup",
    channels: CHANNELS + 2,
    discordRateLimits: true,
  });
  const { links, alice } = await xmppUserInRooms(server, discord.channels, "to-discord", cleanup);
  const [one, catchUp, ...ten] = links as [BenchLink, BenchLink, ...BenchLink[]];
  const probe = new ArrivalProbe({ now: wallNow });
  probe.watch(alice);
  cleanup.defer(() => probe.detach());

  const warnings = new BenchWarnings({ shown: 20, prefix: "bridge: " });
  const logger = createLogger({ level: "warn", write: warnings.write });
  const bridge = discordBenchBridge({
    cleanup,
    server,
    component,
    dirPrefix: "parley-discord-to-bench-",
    links,
    discord,
    logger,
  });
  await bridge.start();

  /**
   * Waits until the fake made `count` bench messages of `tag` in `channel`: the last one's time, how many came
   * and their order. With `quietMs`, it settles for fewer once nothing new came for that long (a catch-up
   * that could not read everything).
   */
  const madeOnDiscord = fakeArrivals(fake, TIMEOUT_MS);

  /** Alice says `count` messages in each room (interleaved); timed until Discord has them all. */
  const fromXmpp = (tag: string, rooms: readonly BenchLink[], count: number): Promise<ToDiscordRun> =>
    timedFromXmpp(alice, madeOnDiscord, tag, rooms, count);

  // Warm-up: each channel's webhook is found or made; then the windows pass.
  await fromXmpp("warm", links, 1);
  await sleep(2500);
  const limitedBefore = (await fake.ask<{ limited: number }>({ op: "limited" })).limited;
  const oneRun = await fromXmpp("one", [one], MESSAGES);
  progress(`1 channel: ${MESSAGES} in ${Math.round(oneRun.durationMs)} ms, ${oneRun.outOfOrder} out of order`);
  await sleep(2500);
  const tenRun = await fromXmpp("ten", ten, PER_CHANNEL);
  progress(`10 channels: ${CHANNELS * PER_CHANNEL} in ${Math.round(tenRun.durationMs)} ms`);
  const rateLimited = (await fake.ask<{ limited: number }>({ op: "limited" })).limited - limitedBefore;

  // Catch-up: the bridge stops, both sides talk, the bridge starts again.
  const catchUpRun = await timedCatchUp({
    network: "Discord",
    link: catchUp,
    alice,
    probe,
    fake,
    madeOnNetwork: madeOnDiscord,
    toNetwork: CATCH_UP_TO_DISCORD,
    toXmpp: CATCH_UP_TO_XMPP,
    timeoutMs: TIMEOUT_MS,
    stopBridge: () => bridge.stop(),
    startBridge: async () => {
      await bridge.start();
    },
  });

  const results = toDiscordResults({
    limits: limitsOf(),
    one: oneRun,
    ten: tenRun,
    rateLimited,
    catchUp: { toDiscord: catchUpRun.toNetwork, toXmpp: catchUpRun.toXmpp },
  });
  console.log(`\n${toDiscordTable(results)}\n`);
  warnings.report();
  await assertFakeSawNoViolations(fake, "Discord");
  writeMergedBenchResults(join(HERE, "results.json"), results);
}

await runBench(main);
process.exit();
