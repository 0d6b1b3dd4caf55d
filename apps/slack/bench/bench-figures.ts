/**
 * What the Slack -> XMPP bench keeps in results.json and prints: the
 * testkit's network burst figures (bench/network-burst-figures.ts), named as
 * the Discord bench names them so the root summary lines the networks up,
 * with the bridged path named Slack's.
 */
import { type NetworkBurstResults, networkBurstResults, networkBurstTable } from "@parley/testkit";

export const slackResults = networkBurstResults;

/** The results as a Markdown table, each target with its verdict. */
export function slackTable(r: NetworkBurstResults): string {
  return networkBurstTable(r, "burst throughput, Slack socket -> occupant (msgs/s)");
}
