/** Every scenario of the suite, in the order a full run takes them (the slow XMPP -> Matrix ones last). */
import type { FaultKind } from "./faults.ts";
import type { Direction, Network, SynapseDatabase } from "./world.ts";

export interface Scenario {
  readonly name: string;
  readonly network: Network;
  readonly direction: Direction;
  readonly xmppServer: "prosody" | "ejabberd";
  readonly fault: FaultKind;
  /**
   * Where Synapse keeps its data (Matrix scenarios). PostgreSQL (fsync off, as the testkit runs it)
   * takes several sends at once where SQLite takes one at a time: ~24 msgs/s with 8 in flight against
   * SQLite's ~10-13 here, so every Matrix scenario but the SQLite restart runs on it.
   */
  readonly synapseDatabase: SynapseDatabase;
  /**
   * Whether the live view counts towards the verdict. Not when the fault cuts off the
   * XMPP user who watches (a kill -9 of the XMPP server): what the room said while it
   * was reconnecting is the archive's to show, and it is counted there.
   */
  readonly liveCounts: boolean;
  readonly description: string;
  /**
   * Which of the suite's three lanes runs it (lanes run side by side, each scenario of a lane
   * after the other), so that they take about as long and no two Synapse-bound ones share one
   * lane's time.
   */
  readonly lane: 1 | 2 | 3;
}

const s = (
  o: Omit<Scenario, "xmppServer" | "liveCounts" | "synapseDatabase" | "lane"> & Partial<Scenario>,
): Scenario => ({
  // Measured on the 2-core machine, mostly idle: Matrix -> XMPP (bound by Synapse taking the
  // Matrix user's sends) ~6 min in lane 1; XMPP -> Matrix (the bridge's sends, one at a time per
  // room) ~5.5 min and Slack -> XMPP ~1 min in lane 2; Discord ~4.5 min and XMPP -> Slack (bound
  // by the fake Slack's post limit) ~2 min in lane 3, which needs little CPU.
  lane:
    o.network === "matrix"
      ? o.direction === "to-xmpp"
        ? 1
        : 2
      : o.network === "slack" && o.direction === "to-xmpp"
        ? 2
        : 3,
  xmppServer: "prosody",
  liveCounts: true,
  synapseDatabase: "postgres",
  ...o,
});

export const SCENARIOS: readonly Scenario[] = [
  s({
    name: "discord-to-xmpp-sigkill",
    network: "discord",
    direction: "to-xmpp",
    fault: "bridge-sigkill",
    description: "SIGKILL of the Discord bridge mid-burst, Discord -> XMPP",
  }),
  s({
    name: "discord-to-xmpp-sigterm",
    network: "discord",
    direction: "to-xmpp",
    fault: "bridge-sigterm",
    description: "SIGTERM of the Discord bridge mid-burst, Discord -> XMPP",
  }),
  s({
    name: "xmpp-to-discord-sigkill",
    network: "discord",
    direction: "from-xmpp",
    fault: "bridge-sigkill",
    description: "SIGKILL of the Discord bridge mid-burst, XMPP -> Discord",
  }),
  s({
    name: "xmpp-to-discord-sigterm",
    network: "discord",
    direction: "from-xmpp",
    fault: "bridge-sigterm",
    description: "SIGTERM of the Discord bridge mid-burst, XMPP -> Discord",
  }),
  s({
    name: "prosody-kill9",
    network: "discord",
    direction: "to-xmpp",
    fault: "xmpp-server-kill9",
    liveCounts: false,
    description: "kill -9 of Prosody mid-burst (rooms and archive on disk), Discord -> XMPP",
  }),
  s({
    name: "discord-gateway-drop",
    network: "discord",
    direction: "to-xmpp",
    fault: "discord-gateway-drop",
    description: "the Discord gateway drops the bridge's connection mid-burst, Discord -> XMPP",
  }),
  s({
    name: "discord-rest-5xx",
    network: "discord",
    direction: "from-xmpp",
    fault: "discord-rest-5xx",
    description: "Discord REST answers a burst of 5xx mid-burst, XMPP -> Discord",
  }),
  s({
    name: "ejabberd-discord-to-xmpp-sigkill",
    network: "discord",
    direction: "to-xmpp",
    xmppServer: "ejabberd",
    fault: "bridge-sigkill",
    description: "SIGKILL of the Discord bridge mid-burst on ejabberd, Discord -> XMPP",
  }),
  s({
    name: "slack-to-xmpp-sigkill",
    network: "slack",
    direction: "to-xmpp",
    fault: "bridge-sigkill",
    description: "SIGKILL of the Slack bridge mid-burst, Slack -> XMPP",
  }),
  s({
    name: "slack-to-xmpp-sigterm",
    network: "slack",
    direction: "to-xmpp",
    fault: "bridge-sigterm",
    description: "SIGTERM of the Slack bridge mid-burst, Slack -> XMPP",
  }),
  s({
    name: "xmpp-to-slack-sigkill",
    network: "slack",
    direction: "from-xmpp",
    fault: "bridge-sigkill",
    description: "SIGKILL of the Slack bridge mid-burst, XMPP -> Slack",
  }),
  s({
    name: "xmpp-to-slack-sigterm",
    network: "slack",
    direction: "from-xmpp",
    fault: "bridge-sigterm",
    description: "SIGTERM of the Slack bridge mid-burst, XMPP -> Slack",
  }),
  s({
    name: "slack-socket-drop",
    network: "slack",
    direction: "to-xmpp",
    fault: "slack-socket-drop",
    description: "Slack cuts the Socket Mode connection mid-burst (no close frame), Slack -> XMPP",
  }),
  s({
    name: "matrix-to-xmpp-sigkill",
    network: "matrix",
    direction: "to-xmpp",
    fault: "bridge-sigkill",
    description: "SIGKILL of the Matrix bridge mid-burst, Matrix -> XMPP (Synapse on PostgreSQL)",
  }),
  s({
    name: "matrix-to-xmpp-sigterm",
    network: "matrix",
    direction: "to-xmpp",
    fault: "bridge-sigterm",
    description: "SIGTERM of the Matrix bridge mid-burst, Matrix -> XMPP (Synapse on PostgreSQL)",
  }),
  s({
    name: "synapse-restart",
    network: "matrix",
    direction: "to-xmpp",
    fault: "synapse-restart",
    synapseDatabase: "sqlite",
    description: "Synapse (SQLite) restarted mid-burst with the bridge running, Matrix -> XMPP",
  }),
  s({
    name: "synapse-restart-postgres",
    network: "matrix",
    direction: "to-xmpp",
    fault: "synapse-restart",
    description: "Synapse (PostgreSQL) restarted mid-burst with the bridge running, Matrix -> XMPP",
  }),
  s({
    name: "xmpp-to-matrix-sigkill",
    network: "matrix",
    direction: "from-xmpp",
    fault: "bridge-sigkill",
    description: "SIGKILL of the Matrix bridge mid-burst, XMPP -> Matrix (Synapse on PostgreSQL)",
  }),
  s({
    name: "xmpp-to-matrix-sigterm",
    network: "matrix",
    direction: "from-xmpp",
    fault: "bridge-sigterm",
    description: "SIGTERM of the Matrix bridge mid-burst, XMPP -> Matrix (Synapse on PostgreSQL)",
  }),
];
