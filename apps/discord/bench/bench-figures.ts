/**
 * What the Discord bench keeps in results.json and prints: the testkit's
 * network burst figures (bench/network-burst-figures.ts), whose names earlier
 * results are compared by, with the bridged path named Discord's.
 */
import { type NetworkBurstResults, networkBurstResults, networkBurstTable } from "@parley/testkit";

export const discordResults = networkBurstResults;

/** The results as a Markdown table, each target with its verdict. */
export function discordTable(r: NetworkBurstResults): string {
  return networkBurstTable(r, "burst throughput, Discord gateway -> occupant (msgs/s)");
}
