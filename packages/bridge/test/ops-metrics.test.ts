/** BridgeMetrics: the series appear with their labels, and each instance keeps its own registry. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { register as globalRegistry } from "prom-client";
import { BridgeMetrics } from "../src/ops/metrics.ts";

describe("BridgeMetrics", () => {
  it("sets the sizes sampled on each scrape, and a failing sampler spoils nothing", async () => {
    const m = new BridgeMetrics();
    let puppets = 3;
    m.onScrape(() => {
      m.puppets("discord", puppets);
      m.cacheEntries("engine.room-seats", puppets * 2);
    });
    m.onScrape(() => {
      throw new Error("a broken sampler");
    });
    assert.match(await m.text(), /^parley_puppets\{network="discord"\} 3$/m);
    puppets = 5;
    const text = await m.text();
    assert.match(text, /^parley_puppets\{network="discord"\} 5$/m);
    assert.match(text, /^parley_cache_entries\{cache="engine.room-seats"\} 10$/m);
  });

  it("exposes every series with its labels after the typed calls", async () => {
    const m = new BridgeMetrics();
    m.relayed("discord", "to-xmpp", 12);
    m.relayed("discord", "to-xmpp", 3000);
    m.relayed("slack", "to-remote", 0.5);
    m.queueDepth("delivery", 7);
    m.failure("discord", "to-remote", "rate-limited");
    m.deadLetter("discord");
    m.deadLetter("discord");
    m.puppets("discord", 42);
    m.xmppConnected(true);
    m.badInput("xmpp");
    const text = await m.text();
    assert.match(text, /^parley_relayed_messages_total\{network="discord",direction="to-xmpp"\} 2$/m);
    assert.match(text, /^parley_relayed_messages_total\{network="slack",direction="to-remote"\} 1$/m);
    assert.match(text, /^parley_relay_latency_seconds_bucket\{le="0\.001",network="slack",direction="to-remote"\} 1$/m);
    assert.match(text, /^parley_relay_latency_seconds_bucket\{le="0\.025",network="discord",direction="to-xmpp"\} 1$/m);
    assert.match(text, /^parley_relay_latency_seconds_bucket\{le="5",network="discord",direction="to-xmpp"\} 2$/m);
    assert.match(text, /^parley_relay_latency_seconds_bucket\{le="10",network="discord",direction="to-xmpp"\} 2$/m);
    assert.match(text, /^parley_relay_latency_seconds_sum\{network="discord",direction="to-xmpp"\} 3\.012$/m);
    assert.match(text, /^parley_queue_depth\{queue="delivery"\} 7$/m);
    assert.match(
      text,
      /^parley_delivery_failures_total\{network="discord",direction="to-remote",reason="rate-limited"\} 1$/m,
    );
    assert.match(text, /^parley_dead_letters_total\{network="discord"\} 2$/m);
    assert.match(text, /^parley_puppets\{network="discord"\} 42$/m);
    assert.match(text, /^parley_xmpp_connected 1$/m);
    assert.match(text, /^parley_bad_input_total\{source="xmpp"\} 1$/m);
    assert.match(text, /^# TYPE parley_relay_latency_seconds histogram$/m);
    assert.match(m.contentType, /^text\/plain/);
  });

  it("starts disconnected, and gauges follow the latest value", async () => {
    const m = new BridgeMetrics();
    assert.match(await m.text(), /^parley_xmpp_connected 0$/m);
    m.xmppConnected(true);
    m.xmppConnected(false);
    m.queueDepth("delivery", 5);
    m.queueDepth("delivery", 0);
    const text = await m.text();
    assert.match(text, /^parley_xmpp_connected 0$/m);
    assert.match(text, /^parley_queue_depth\{queue="delivery"\} 0$/m);
  });

  it("two instances in one process neither clash nor share counts, and the global registry stays empty", async () => {
    const a = new BridgeMetrics();
    const b = new BridgeMetrics();
    a.deadLetter("discord");
    a.deadLetter("discord");
    b.deadLetter("discord");
    assert.match(await a.text(), /^parley_dead_letters_total\{network="discord"\} 2$/m);
    assert.match(await b.text(), /^parley_dead_letters_total\{network="discord"\} 1$/m);
    assert.doesNotMatch(await globalRegistry.metrics(), /parley_/);
  });

  it("escapes hostile label values and ignores non-finite numbers", async () => {
    const m = new BridgeMetrics();
    m.badInput('evil"}\nparley_xmpp_connected 1');
    m.badInput("x".repeat(500));
    m.relayed("discord", "to-xmpp", Number.NaN);
    m.puppets("discord", Number.POSITIVE_INFINITY);
    const text = await m.text();
    assert.match(text, /^parley_xmpp_connected 0$/m);
    assert.doesNotMatch(text, /^parley_xmpp_connected 1$/m);
    assert.match(text, new RegExp(`source="${"x".repeat(100)}"`));
    assert.doesNotMatch(text, /x{101}/);
    assert.match(text, /^parley_relayed_messages_total\{network="discord",direction="to-xmpp"\} 1$/m);
    assert.doesNotMatch(text, /^parley_relay_latency_seconds_count\{/m, "a NaN latency is not observed");
    assert.doesNotMatch(text, /^parley_puppets\{/m);
  });

  it("can add process metrics to its own registry", async () => {
    const m = new BridgeMetrics({ processMetrics: true });
    assert.match(await m.text(), /^process_cpu_user_seconds_total /m);
    assert.doesNotMatch(await new BridgeMetrics().text(), /process_cpu/);
  });
});
