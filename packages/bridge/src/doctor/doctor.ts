/**
 * `parley doctor`, assembled: the store and the links, the XMPP side (unless
 * a bridge with this configuration runs now), then the connector's own
 * checks. Lines are written as the checks finish; resolves with the number
 * of failures.
 */
import type { BridgeConfig } from "../config/index.ts";
import type { Connector } from "../connector/connector.ts";
import type { Logger } from "../ops/logger-types.ts";
import type { BridgeStore } from "../store/index.ts";
import type { ConnectorModule } from "./connector-module.ts";
import { failed, warned } from "./doctor-check.ts";
import type { DoctorReport } from "./doctor-report.ts";
import { gatherLinks } from "./linked-rooms.ts";
import { runningBridge } from "./running-bridge.ts";
import { runXmppChecks } from "./xmpp-checks.ts";

export interface DoctorRun {
  readonly config: BridgeConfig;
  /** The connector's section name in `connectors`. */
  readonly name: string;
  readonly module: ConnectorModule;
  /** Built from `module`, not started. */
  readonly connector: Connector;
  readonly report: DoctorReport;
  readonly logger: Logger;
  /** How the store is opened (default: as the bridge opens it). */
  readonly openStore?: (url: string) => Promise<BridgeStore>;
}

export async function runDoctorChecks(o: DoctorRun): Promise<void> {
  const { config, connector, report } = o;
  const network = connector.network;
  const { links, check } = await gatherLinks(config, network, o.openStore);
  report.add(check);
  if (links.length === 0) {
    report.add(
      warned(
        "links",
        `no room is linked for ${network}, in the config or in the store: the bridge would relay nothing`,
        `add one under links: (network: ${network}, channel: <channel id>, room: <room>@<MUC service>), or link one with the bridge's admin commands`,
      ),
    );
  }

  const running = await runningBridge(config);
  if (running !== undefined) {
    report.add(
      failed(
        "XMPP checks",
        `not run: a bridge with this configuration answers at ${running}, and the checks connect as its component, which would cut it off (Prosody) or take some of its traffic (ejabberd)`,
        "stop the bridge, run parley doctor, then start the bridge again",
      ),
    );
  } else {
    await runXmppChecks({ xmpp: config.xmpp, links, displayName: connector.displayName, report });
  }

  if (o.module.diagnose) {
    const channels = [...new Set(links.map((l) => l.channel))];
    try {
      report.add(...(await o.module.diagnose(config.connectors[o.name] ?? {}, { logger: o.logger, config, channels })));
    } catch (e) {
      report.add(
        failed(
          `${connector.displayName} checks`,
          `could not run: ${e instanceof Error ? e.message : String(e)}`,
          `report this as a bug of @parley/${o.name}`,
        ),
      );
    }
  }
}
