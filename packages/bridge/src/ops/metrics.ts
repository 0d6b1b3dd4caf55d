/**
 * The bridge's Prometheus metrics, on a registry of its own: never
 * prom-client's global one, so two bridges (or a bridge and a test) in one
 * process do not collide over metric names. Parts report through typed
 * methods rather than touching prom-client, so label names and values stay
 * consistent across connectors.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export type RelayDirection = "to-xmpp" | "to-remote";

/** Relay latency buckets in seconds, 1 ms to 10 s. */
export const RELAY_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Label values are cut to this length so a runaway value cannot bloat the exposition. */
const MAX_LABEL_LENGTH = 100;
const label = (v: string) => (v.length > MAX_LABEL_LENGTH ? v.slice(0, MAX_LABEL_LENGTH) : v);

export interface BridgeMetricsOptions {
  /** Also export prom-client's process metrics (CPU, memory, event loop lag) on this registry. */
  readonly processMetrics?: boolean;
}

export class BridgeMetrics {
  /** This instance's registry, for a connector that wants to add metrics of its own. */
  readonly registry = new Registry();
  private readonly relayedTotal: Counter<"network" | "direction">;
  private readonly relayLatency: Histogram<"network" | "direction">;
  private readonly queueDepthGauge: Gauge<"queue">;
  private readonly failures: Counter<"network" | "direction" | "reason">;
  private readonly deadLetters: Counter<"network">;
  private readonly puppetsGauge: Gauge<"network">;
  private readonly xmppConnectedGauge: Gauge;
  private readonly xmppLinkDropsTotal: Counter;
  private readonly badInputTotal: Counter<"source">;
  private readonly prunedRowsTotal: Counter<"records">;
  private readonly caughtUpTotal: Counter<"network" | "direction">;
  private readonly unconfirmedGauge: Gauge<"network">;
  private readonly cacheEntriesGauge: Gauge<"cache">;
  /** Run before each exposition; one per part that reports sizes, registered at start (a handful). */
  private readonly samplers: Array<() => void> = [];

  constructor(options: BridgeMetricsOptions = {}) {
    const registers = [this.registry];
    this.relayedTotal = new Counter({
      name: "parley_relayed_messages_total",
      help: "Messages relayed, by network and direction",
      labelNames: ["network", "direction"],
      registers,
    });
    this.relayLatency = new Histogram({
      name: "parley_relay_latency_seconds",
      help: "Time from receiving a message to its delivery on the other side",
      labelNames: ["network", "direction"],
      buckets: [...RELAY_LATENCY_BUCKETS],
      registers,
    });
    this.queueDepthGauge = new Gauge({
      name: "parley_queue_depth",
      help: "Items waiting in a queue",
      labelNames: ["queue"],
      registers,
    });
    this.failures = new Counter({
      name: "parley_delivery_failures_total",
      help: "Delivery attempts that failed, by network, direction and reason",
      labelNames: ["network", "direction", "reason"],
      registers,
    });
    this.deadLetters = new Counter({
      name: "parley_dead_letters_total",
      help: "Messages given up on after every retry",
      labelNames: ["network"],
      registers,
    });
    this.puppetsGauge = new Gauge({
      name: "parley_puppets",
      help: "Puppet JIDs currently known, by network",
      labelNames: ["network"],
      registers,
    });
    this.xmppConnectedGauge = new Gauge({
      name: "parley_xmpp_connected",
      help: "1 while the component is connected to the XMPP server, else 0",
      registers,
    });
    this.xmppLinkDropsTotal = new Counter({
      name: "parley_xmpp_link_drops_total",
      help: "Times the link to the XMPP server dropped while it was up (the component reconnects after each)",
      registers,
    });
    this.badInputTotal = new Counter({
      name: "parley_bad_input_total",
      help: "Malformed stanzas and hostile remote payloads dropped, by source",
      labelNames: ["source"],
      registers,
    });
    this.prunedRowsTotal = new Counter({
      name: "parley_store_pruned_rows_total",
      help: "Store rows removed by retention, by kind (messages, deliveries, dead-letters, unconfirmed, expired-state)",
      labelNames: ["records"],
      registers,
    });
    this.cacheEntriesGauge = new Gauge({
      name: "parley_cache_entries",
      help: "Entries in an in-memory map or cache of the bridge or its network library, by cache",
      labelNames: ["cache"],
      registers,
    });
    this.caughtUpTotal = new Counter({
      name: "parley_catch_up_messages_total",
      help: "Messages read back from history (a room's archive, a channel's history) after the bridge was away",
      labelNames: ["network", "direction"],
      registers,
    });
    this.unconfirmedGauge = new Gauge({
      name: "parley_unconfirmed_deliveries",
      help: "Deliveries sent and not yet confirmed by the other side (a room's reflection or archive)",
      labelNames: ["network"],
      registers,
    });
    this.xmppConnectedGauge.set(0);
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** A message reached the other side `latencyMs` after it was received. */
  relayed(network: string, direction: RelayDirection, latencyMs: number): void {
    const labels = { network: label(network), direction };
    this.relayedTotal.inc(labels);
    if (Number.isFinite(latencyMs)) this.relayLatency.observe(labels, Math.max(0, latencyMs) / 1000);
  }

  queueDepth(queue: string, n: number): void {
    if (Number.isFinite(n)) this.queueDepthGauge.set({ queue: label(queue) }, n);
  }

  /** One failed attempt; `reason` should come from a small fixed set (e.g. "rate-limited", "timeout"). */
  failure(network: string, direction: RelayDirection, reason: string): void {
    this.failures.inc({ network: label(network), direction, reason: label(reason) });
  }

  deadLetter(network: string): void {
    this.deadLetters.inc({ network: label(network) });
  }

  puppets(network: string, n: number): void {
    if (Number.isFinite(n)) this.puppetsGauge.set({ network: label(network) }, n);
  }

  /** Entries in the in-memory cache `cache` (e.g. `engine.occupancy`, `discord.members`). */
  cacheEntries(cache: string, n: number): void {
    if (Number.isFinite(n)) this.cacheEntriesGauge.set({ cache: label(cache) }, n);
  }

  /**
   * Has `sample` run before every exposition, to set gauges from sizes that
   * are cheap to read but not worth reporting on every change. A failing
   * sampler is skipped: a scrape must not fail for one gauge.
   */
  onScrape(sample: () => void): void {
    this.samplers.push(sample);
  }

  /** `n` more messages read back from history in `direction` (to-remote: from a room's archive). */
  caughtUp(network: string, direction: RelayDirection, n: number): void {
    if (Number.isFinite(n) && n > 0) this.caughtUpTotal.inc({ network: label(network), direction }, n);
  }

  /** Deliveries sent and awaiting their confirmation now. */
  unconfirmed(network: string, n: number): void {
    if (Number.isFinite(n)) this.unconfirmedGauge.set({ network: label(network) }, n);
  }

  xmppConnected(up: boolean): void {
    this.xmppConnectedGauge.set(up ? 1 : 0);
  }

  /** The link to the XMPP server dropped while it was up. */
  xmppLinkDropped(): void {
    this.xmppLinkDropsTotal.inc();
  }

  /** A stanza or remote payload was dropped as malformed or hostile; `source` is e.g. "xmpp" or "discord". */
  badInput(source: string): void {
    this.badInputTotal.inc({ source: label(source) });
  }

  /** Store retention removed `rows` rows of one kind. */
  pruned(records: string, rows: number): void {
    if (Number.isFinite(rows) && rows > 0) this.prunedRowsTotal.inc({ records: label(records) }, rows);
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    for (const sample of this.samplers) {
      try {
        sample();
      } catch {
        // the gauges it sets keep their last values; the rest of the exposition is still worth having
      }
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
