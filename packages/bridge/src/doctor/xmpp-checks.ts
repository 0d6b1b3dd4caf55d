/**
 * The XMPP side, in the order each check needs the one before: the
 * component handshake; then, as the component, which server this is, the
 * MUC services, each linked room, and Prosody's room cache.
 */
import { resourceFromNick } from "@parley/stanza";
import type { BridgeConfig } from "../config/index.ts";
import { failed } from "./doctor-check.ts";
import type { DoctorReport } from "./doctor-report.ts";
import { DoctorSession } from "./doctor-session.ts";
import { handshakeCheck } from "./handshake-check.ts";
import { probeHandshake } from "./handshake-probe.ts";
import type { LinkedRoom } from "./linked-rooms.ts";
import { checkMucServices, type MucDomainUse } from "./muc-service-check.ts";
import { roomCacheChecks } from "./room-cache-check.ts";
import { checkRoom } from "./room-check.ts";
import { parentDomain, serverSoftware } from "./server-kind.ts";

export interface XmppChecksOptions {
  readonly xmpp: BridgeConfig["xmpp"];
  readonly links: readonly LinkedRoom[];
  /** The connector's display name: the relay joins rooms as "<displayName> bridge". */
  readonly displayName: string;
  readonly report: DoctorReport;
}

export async function runXmppChecks(o: XmppChecksOptions): Promise<void> {
  const { xmpp, report } = o;
  const outcome = await probeHandshake(xmpp);
  report.add(handshakeCheck(outcome, xmpp));
  if (outcome.kind !== "accepted") {
    report.note("      (the MUC service and room checks need the component connected: they were not run)");
    return;
  }
  let session: DoctorSession;
  try {
    session = await DoctorSession.open(xmpp);
  } catch (e) {
    report.add(
      failed(
        "component session",
        `the handshake passed, but the session did not come up: ${e instanceof Error ? e.message : String(e)}`,
        "run parley doctor again; if it keeps failing, read the XMPP server's log",
      ),
    );
    return;
  }
  try {
    const domain = xmpp.domain.toLowerCase();
    const server = serverSoftware(
      (await session.softwareVersion(parentDomain(domain))) ??
        (xmpp.mucDomain !== undefined ? await session.softwareVersion(parentDomain(xmpp.mucDomain)) : undefined),
    );
    report.note(`      (the server says it is ${server.label})`);

    const uses: MucDomainUse[] = [];
    if (xmpp.mucDomain !== undefined) uses.push({ domain: xmpp.mucDomain, namedBy: "xmpp.mucDomain" });
    for (const l of o.links) {
      uses.push({ domain: l.room.slice(l.room.indexOf("@") + 1), namedBy: `the room of ${l.namedBy}` });
    }
    const { checks, services } = await checkMucServices(session, uses, server.kind);
    report.add(...checks);

    const rooms = [...new Set(o.links.map((l) => l.room))];
    const nick = resourceFromNick(`${o.displayName} bridge`);
    for (const room of rooms) {
      const service = room.slice(room.indexOf("@") + 1);
      if (!services.has(service)) {
        report.note(`      (room ${room} not checked: its MUC service ${service} failed above)`);
        continue;
      }
      report.add(...(await checkRoom({ session, room, domain, nick, server })));
    }
    report.add(...roomCacheChecks(rooms, server.kind));
  } finally {
    await session.close();
  }
}
