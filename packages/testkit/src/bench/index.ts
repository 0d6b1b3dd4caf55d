/**
 * What the benches share: the arithmetic of a burst, rounds against a
 * ceiling, CPU per message, the arrival probe, the printed table, the
 * results file and the frame of a bench script.
 */
export * from "./arrival-order.ts";
export * from "./arrival-probe.ts";
export * from "./bench-run.ts";
export * from "./bench-warnings.ts";
export * from "./bridge-process.ts";
export * from "./burst-sides.ts";
export * from "./catch-up-run.ts";
export * from "./fake-network-process.ts";
export * from "./heap-summary.ts";
export * from "./inspector-session.ts";
export * from "./merged-results.ts";
export * from "./network-arrivals.ts";
export * from "./network-burst.ts";
export * from "./network-burst-bench.ts";
export * from "./network-burst-figures.ts";
export * from "./process-cpu.ts";
export * from "./remote-fake.ts";
export * from "./restartable.ts";
export * from "./results-file.ts";
export * from "./rounds.ts";
export * from "./settings.ts";
export * from "./soak-bridge.ts";
export * from "./soak-directions.ts";
export * from "./soak-figures.ts";
export * from "./soak-run.ts";
export * from "./statistics.ts";
export * from "./table.ts";
export * from "./xmpp-to-network.ts";
export * from "./xmpp-to-network-figures.ts";
