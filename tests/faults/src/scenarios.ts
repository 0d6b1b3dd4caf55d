/** Every scenario of the suite, in the order a full run takes them (the slow XMPP -> Matrix ones last). */
import type { FaultKind } from "./faults.ts";
import type { Direction, Network } from "./world.ts";

export interface Scenario {
  readonly name: string;
  readonly network: Network;
  readonly direction: Direction;
  readonly xmppServer: "prosody" | "ejabberd";
  readonly fault: FaultKind;
  /**
   * Whether the live view counts towards the verdict. Not when the fault cuts off the
   * XMPP user who watches (a kill -9 of the XMPP server): what the room said while it
   * was reconnecting is the archive's to show, and it is counted there.
   */
  readonly liveCounts: boolean;
  readonly description: string;
}

const s = (o: Omit<Scenario, "xmppServer" | "liveCounts"> & Partial<Scenario>): Scenario => ({
  xmppServer: "prosody",
  liveCounts: true,
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
    name: "matrix-to-xmpp-sigkill",
    network: "matrix",
    direction: "to-xmpp",
    fault: "bridge-sigkill",
    description: "SIGKILL of the Matrix bridge mid-burst, Matrix -> XMPP",
  }),
  s({
    name: "matrix-to-xmpp-sigterm",
    network: "matrix",
    direction: "to-xmpp",
    fault: "bridge-sigterm",
    description: "SIGTERM of the Matrix bridge mid-burst, Matrix -> XMPP",
  }),
  s({
    name: "synapse-restart",
    network: "matrix",
    direction: "to-xmpp",
    fault: "synapse-restart",
    description: "Synapse restarted mid-burst with the bridge running, Matrix -> XMPP",
  }),
  s({
    name: "xmpp-to-matrix-sigkill",
    network: "matrix",
    direction: "from-xmpp",
    fault: "bridge-sigkill",
    description: "SIGKILL of the Matrix bridge mid-burst, XMPP -> Matrix",
  }),
  s({
    name: "xmpp-to-matrix-sigterm",
    network: "matrix",
    direction: "from-xmpp",
    fault: "bridge-sigterm",
    description: "SIGTERM of the Matrix bridge mid-burst, XMPP -> Matrix",
  }),
];
