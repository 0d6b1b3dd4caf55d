/**
 * One linked room, as the bridge needs it: it exists or the component may
 * create it; it keeps an archive (XEP-0313: catch-up, and telling after a
 * dropped link what reached the room, read from it); it supports moderation
 * (XEP-0425: a remote moderator's deletion of an XMPP user's message becomes
 * the room's moderation; the bridge speaks urn:xmpp:message-moderate:1 and
 * Prosody's :0); and the component's domain is an admin or owner there, since
 * the room grants moderation by the affiliation of the requester's bare JID,
 * the component domain.
 *
 * The affiliation is only told to an occupant, in its own presence, so the
 * check joins as the relay (the JID and nick the bridge joins with) and
 * leaves at once. A room that does not exist is created by that join, which
 * proves the component may create it; it is destroyed again right after its
 * features are read, and the bridge makes it anew when it starts.
 */
import { type Affiliation, isRoomCreated, NS, type Presence } from "@parley/stanza";
import { nickSuffix } from "../puppets/muc-occupancy.ts";
import { type DoctorCheck, failed, passed, warned } from "./doctor-check.ts";
import type { DoctorSession } from "./doctor-session.ts";
import type { ServerKind, XmppServerSoftware } from "./server-kind.ts";

export const MODERATION_FEATURES: readonly string[] = [NS.moderation, NS.moderationLegacy];

export interface RoomCheckOptions {
  readonly session: DoctorSession;
  readonly room: string;
  /** The component domain, whose affiliation counts. */
  readonly domain: string;
  /** The relay's nick, as the bridge joins with. */
  readonly nick: string;
  readonly server: XmppServerSoftware;
}

/** What the relay's brief join found out. */
type Stay =
  | {
      readonly joined: true;
      readonly nick: string;
      readonly affiliation: Affiliation;
      readonly created: boolean;
    }
  | { readonly joined: false; readonly check: DoctorCheck };

export async function checkRoom(o: RoomCheckOptions): Promise<DoctorCheck[]> {
  const { session, room } = o;
  const subject = `room ${room}`;
  const info = await session.discoInfo(room);
  if (!info.ok && info.error.condition !== "item-not-found") {
    return [
      failed(
        subject,
        `could not be asked what it is (${info.error.condition})`,
        "check that the room's address is right and the MUC service answers (see above)",
      ),
    ];
  }
  const existed = info.ok;
  let features = info.ok ? info.value.features : [];
  if (features.includes("muc_passwordprotected")) {
    return [
      failed(
        subject,
        "needs a password to enter, and the bridge joins without one",
        "as the room's owner, remove its password (room configuration)",
      ),
      ...featureChecks(room, features, o.server),
    ];
  }
  const stay = await stayBriefly(o);
  if (!stay.joined) return [stay.check, ...(existed ? featureChecks(room, features, o.server) : [])];
  const checks: DoctorCheck[] = [];
  if (stay.created) {
    const fresh = await session.discoInfo(room);
    features = fresh.ok ? fresh.value.features : [];
    const destroyed = await session.destroy(room);
    checks.push(
      passed(
        subject,
        `does not exist yet; the component may create it, and the bridge will when it starts (doctor created it to see, and ${destroyed.ok ? "destroyed it again" : `could not destroy it again: ${destroyed.error.condition}`})`,
      ),
    );
  } else {
    await session.leave(room, stay.nick);
    checks.push(passed(subject, "exists"));
  }
  checks.push(...featureChecks(room, features, o.server));
  checks.push(affiliationCheck(o, stay, features));
  return checks;
}

function featureChecks(room: string, features: readonly string[], server: XmppServerSoftware): DoctorCheck[] {
  const archive = features.includes(NS.mam)
    ? passed(`room ${room}: archive`, "kept (XEP-0313)")
    : failed(
        `room ${room}: archive`,
        "none (no XEP-0313 in its disco#info): the bridge cannot catch up on what was said while it was away, nor tell after a dropped link what reached the room",
        archiveFix(server.kind),
      );
  const moderation = MODERATION_FEATURES.some((f) => features.includes(f))
    ? passed(`room ${room}: moderation`, "supported (XEP-0425)")
    : warned(
        `room ${room}: moderation`,
        "not supported (no XEP-0425 in its disco#info): a message of an XMPP user that a remote moderator deletes stays in the room",
        moderationFix(server),
      );
  return [archive, moderation];
}

function archiveFix(kind: ServerKind): string {
  const prosody =
    'on Prosody, load muc_mam on the MUC component (modules_enabled = { "muc_mam" } under its Component line) with muc_log_by_default = true, or turn archiving on in the room\'s configuration';
  const ejabberd =
    "on ejabberd, load mod_mam and set mam: true in mod_muc's default_room_options, or turn archiving on in the room's configuration";
  if (kind === "prosody") return prosody;
  if (kind === "ejabberd") return ejabberd;
  return `give the MUC service a message archive (XEP-0313): ${prosody}; ${ejabberd}`;
}

function moderationFix(server: XmppServerSoftware): string {
  const prosody =
    'on Prosody, load muc_moderation (package prosody-modules) on the MUC component: modules_enabled = { "muc_mam", "muc_moderation" }, then restart Prosody';
  if (server.kind === "prosody") return prosody;
  if (server.kind === "ejabberd") {
    return isBefore(server.version, 23, 4)
      ? `ejabberd supports XEP-0425 from 23.04 on (in mod_mam); this is ${server.label}: upgrade it to have moderation`
      : "on ejabberd, load mod_mam (XEP-0425 comes with it from 23.04 on)";
  }
  return `use a MUC service with XEP-0425: ${prosody}; on ejabberd 23.04 or later, mod_mam`;
}

/** Whether a version like "23.01-1" is older than major.minor; false when it cannot be read. */
function isBefore(version: string | undefined, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? "");
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a < major || (a === major && b < minor);
}

/** Joins as the relay (its nick, else the suffixed one the bridge falls back to), reads the self presence. */
async function stayBriefly(o: RoomCheckOptions): Promise<Stay> {
  const subject = `room ${o.room}`;
  const admin = `as the room's owner, make ${o.domain} an admin of the room (affiliation admin for the JID ${o.domain}); that also lets the bridge moderate there`;
  for (const nick of [o.nick, `${o.nick} [${nickSuffix(o.domain)}]`]) {
    let answer: Presence;
    try {
      answer = await o.session.join(o.room, nick);
    } catch (e) {
      return {
        joined: false,
        check: failed(
          subject,
          `the relay could not join: ${e instanceof Error ? e.message : String(e)}`,
          "check the server's log",
        ),
      };
    }
    const error = answer.error;
    if (error?.condition === "conflict") continue;
    if (error) return { joined: false, check: joinRefused(subject, o, error.condition, admin) };
    const item = answer.mucUser?.items[0];
    return { joined: true, nick, affiliation: item?.affiliation ?? "none", created: isRoomCreated(answer) };
  }
  return {
    joined: false,
    check: failed(
      subject,
      `the relay's nick "${o.nick}" and its fallback are taken by others in the room`,
      "ask whoever uses them to change nick, or check that no other bridge runs with this component domain",
    ),
  };
}

function joinRefused(subject: string, o: RoomCheckOptions, condition: string, admin: string): DoctorCheck {
  switch (condition) {
    case "registration-required":
      return failed(subject, `is members-only and ${o.domain} is not a member, so the bridge cannot join`, admin);
    case "forbidden":
      return failed(
        subject,
        `has banned ${o.domain} (forbidden)`,
        `as the room's owner or an admin, lift the ban: ${admin}`,
      );
    case "not-allowed":
      return failed(
        subject,
        "does not exist, and the server does not let the component create rooms (not-allowed)",
        "create the room yourself in an XMPP client, or let the component create rooms (Prosody: restrict_room_creation = false on the MUC component; ejabberd: access_create under mod_muc)",
      );
    case "service-unavailable":
      return failed(
        subject,
        "refused the relay (service-unavailable: the room may be full)",
        "raise the room's maximum number of occupants",
      );
    default:
      return failed(subject, `refused the relay (${condition})`, "check the room's configuration and the server's log");
  }
}

function affiliationCheck(
  o: RoomCheckOptions,
  stay: Extract<Stay, { joined: true }>,
  features: readonly string[],
): DoctorCheck {
  const subject = `room ${o.room}: affiliation of ${o.domain}`;
  const how = stay.created ? "" : ` (read by joining briefly as "${stay.nick}" and leaving)`;
  if (stay.affiliation === "owner" || stay.affiliation === "admin") {
    return passed(subject, `${stay.affiliation}${stay.created ? ", as the creator of the room" : ""}${how}`);
  }
  const fix = `as the room's owner, make ${o.domain} an admin of the room (in an XMPP client: affiliation admin for the JID ${o.domain})`;
  const finding = `${stay.affiliation}${how}; the bridge asks the room to moderate for remote moderators, which needs admin or owner`;
  if (MODERATION_FEATURES.some((f) => features.includes(f))) return failed(subject, finding, fix);
  return warned(subject, `${finding} (not needed until the room supports moderation)`, fix);
}
