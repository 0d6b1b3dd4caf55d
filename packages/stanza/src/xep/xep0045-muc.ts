/**
 * XEP-0045 Multi-User Chat (v1.35): the join payload `<x xmlns=muc>`, the
 * `<x xmlns=muc#user>` payload of room presence and messages (items, status
 * codes, destroy, invites), what a room presence means for a bridge (join,
 * leave, nick change, kick, ban...), and the muc#admin / muc#owner requests a
 * bridge sends.
 */
import { buildIq } from "../iq.ts";
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import type { Presence } from "../presence.ts";
import { buildPresence } from "../presence.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { attrOf, childOf, type Element, element, elementsOf, localNameOf, textOf, uintAttr } from "../xml.ts";

export const AFFILIATIONS = ["owner", "admin", "member", "outcast", "none"] as const;
export type Affiliation = (typeof AFFILIATIONS)[number];
export const ROLES = ["moderator", "participant", "visitor", "none"] as const;
export type Role = (typeof ROLES)[number];

export interface MucHistory {
  readonly maxchars?: number;
  readonly maxstanzas?: number;
  readonly seconds?: number;
  /** XEP-0082 DateTime, as sent. */
  readonly since?: string;
}

/** The `<x xmlns="http://jabber.org/protocol/muc">` of a join presence. */
export interface MucJoin {
  readonly password?: string;
  readonly history?: MucHistory;
}

export interface MucActor {
  readonly jid?: string;
  readonly nick?: string;
}

export interface MucItem {
  readonly affiliation?: Affiliation;
  readonly role?: Role;
  /** The occupant's real JID, when the room discloses it. */
  readonly jid?: string;
  readonly nick?: string;
  readonly actor?: MucActor;
  readonly reason?: string;
  /** `<continue thread/>` on an invite-style item. */
  readonly continueThread?: string;
}

export interface MucInvite {
  readonly kind: "invite" | "decline";
  readonly from?: string;
  readonly to?: string;
  readonly reason?: string;
}

export interface MucDestroy {
  readonly jid?: string;
  readonly reason?: string;
  readonly password?: string;
}

/** The `<x xmlns="http://jabber.org/protocol/muc#user">` payload. */
export interface MucUser {
  readonly items: readonly MucItem[];
  readonly statusCodes: readonly number[];
  readonly destroy?: MucDestroy;
  readonly invites?: readonly MucInvite[];
  readonly password?: string;
}

declare module "../presence.ts" {
  interface PresencePayloads {
    /** XEP-0045: this presence is a join request. */
    readonly muc?: MucJoin;
    /** XEP-0045: room information about an occupant. */
    readonly mucUser?: MucUser;
  }
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0045: status codes, invites and declines carried by room messages. */
    readonly mucUser?: MucUser;
  }
}

const AFF = new Set<string>(AFFILIATIONS);
const ROLE = new Set<string>(ROLES);

export const mucJoinCodec: PayloadCodec<MucJoin> = {
  names: ["x"],
  ns: NS.muc,
  parse(el) {
    const out: { password?: string; history?: MucHistory } = {};
    const pw = childOf(el, "password", NS.muc);
    if (pw) out.password = textOf(pw) ?? "";
    const h = childOf(el, "history", NS.muc);
    if (h) {
      const history: { -readonly [K in keyof MucHistory]: MucHistory[K] } = {};
      for (const k of ["maxchars", "maxstanzas", "seconds"] as const) {
        const v = uintAttr(h, k, "x/history");
        if (!v.ok) return v;
        if (v.value !== undefined) history[k] = v.value;
      }
      const since = attrOf(h, "since");
      if (since !== undefined) history.since = since;
      out.history = history;
    }
    return ok(out);
  },
  build(v) {
    const h = v.history;
    return element(
      "x",
      { xmlns: NS.muc },
      h
        ? element("history", { maxchars: h.maxchars, maxstanzas: h.maxstanzas, seconds: h.seconds, since: h.since })
        : undefined,
      v.password !== undefined ? element("password", {}, v.password) : undefined,
    );
  },
};

function parseItem(el: Element, path: string): Result<MucItem> {
  const affiliation = attrOf(el, "affiliation");
  if (affiliation !== undefined && !AFF.has(affiliation)) {
    return err(parseError("invalid-attribute", `unknown affiliation "${affiliation}"`, `${path}@affiliation`));
  }
  const role = attrOf(el, "role");
  if (role !== undefined && !ROLE.has(role)) {
    return err(parseError("invalid-attribute", `unknown role "${role}"`, `${path}@role`));
  }
  const item: { -readonly [K in keyof MucItem]: MucItem[K] } = {};
  if (affiliation !== undefined) item.affiliation = affiliation as Affiliation;
  if (role !== undefined) item.role = role as Role;
  const jid = attrOf(el, "jid");
  if (jid !== undefined) item.jid = jid;
  const nick = attrOf(el, "nick");
  if (nick !== undefined) item.nick = nick;
  for (const c of elementsOf(el)) {
    const name = localNameOf(c);
    if (name === "actor") {
      const a: { jid?: string; nick?: string } = {};
      const aj = attrOf(c, "jid");
      const an = attrOf(c, "nick");
      if (aj !== undefined) a.jid = aj;
      if (an !== undefined) a.nick = an;
      item.actor = a;
    } else if (name === "reason") item.reason = textOf(c) ?? "";
    else if (name === "continue") {
      const t = attrOf(c, "thread");
      if (t !== undefined) item.continueThread = t;
    }
  }
  return ok(item);
}

function buildItem(i: MucItem): Element {
  return element(
    "item",
    { affiliation: i.affiliation, role: i.role, jid: i.jid, nick: i.nick },
    i.actor ? element("actor", { jid: i.actor.jid, nick: i.actor.nick }) : undefined,
    i.reason !== undefined ? element("reason", {}, i.reason) : undefined,
    i.continueThread !== undefined ? element("continue", { thread: i.continueThread }) : undefined,
  );
}

export const mucUserCodec: PayloadCodec<MucUser> = {
  names: ["x"],
  ns: NS.mucUser,
  parse(el) {
    const items: MucItem[] = [];
    const statusCodes: number[] = [];
    const invites: MucInvite[] = [];
    const out: { destroy?: MucDestroy; password?: string } = {};
    for (const c of elementsOf(el)) {
      switch (localNameOf(c)) {
        case "item": {
          const r = parseItem(c, "x/item");
          if (!r.ok) return r;
          items.push(r.value);
          break;
        }
        case "status": {
          const code = attrOf(c, "code") ?? "";
          if (!/^[1-9]\d\d$/.test(code)) {
            return err(
              parseError("invalid-attribute", `status code "${code}" is not a number from 100 to 999`, "x/status@code"),
            );
          }
          statusCodes.push(Number(code));
          break;
        }
        case "destroy": {
          const d: { jid?: string; reason?: string; password?: string } = {};
          const j = attrOf(c, "jid");
          if (j !== undefined) d.jid = j;
          const reason = textOf(childOf(c, "reason"));
          if (reason !== undefined) d.reason = reason;
          const pw = textOf(childOf(c, "password"));
          if (pw !== undefined) d.password = pw;
          out.destroy = d;
          break;
        }
        case "invite":
        case "decline": {
          const inv: { kind: "invite" | "decline"; from?: string; to?: string; reason?: string } = {
            kind: localNameOf(c) as "invite" | "decline",
          };
          const f = attrOf(c, "from");
          const t = attrOf(c, "to");
          if (f !== undefined) inv.from = f;
          if (t !== undefined) inv.to = t;
          const reason = textOf(childOf(c, "reason"));
          if (reason !== undefined) inv.reason = reason;
          invites.push(inv);
          break;
        }
        case "password":
          out.password = textOf(c) ?? "";
          break;
      }
    }
    return ok({ items, statusCodes, ...out, ...(invites.length > 0 && { invites }) });
  },
  build(v) {
    const el = element("x", { xmlns: NS.mucUser });
    for (const inv of v.invites ?? []) {
      el.cnode(
        element(
          inv.kind,
          { from: inv.from, to: inv.to },
          inv.reason !== undefined ? element("reason", {}, inv.reason) : undefined,
        ),
      );
    }
    if (v.destroy) {
      const d = v.destroy;
      el.cnode(
        element(
          "destroy",
          { jid: d.jid },
          d.reason !== undefined ? element("reason", {}, d.reason) : undefined,
          d.password !== undefined ? element("password", {}, d.password) : undefined,
        ),
      );
    }
    for (const i of v.items) el.cnode(buildItem(i));
    for (const code of v.statusCodes) el.cnode(element("status", { code }));
    if (v.password !== undefined) el.cnode(element("password", {}, v.password));
    return el;
  },
};

// --- What a room presence means ----------------------------------------------

/** Status codes XEP-0045 §15.6 assigns, by meaning. */
export const MucStatus = {
  nonAnonymous: 100,
  affiliationChanged: 101,
  showsUnavailable: 102,
  hidesUnavailable: 103,
  configChanged: 104,
  self: 110,
  loggingOn: 170,
  loggingOff: 171,
  nowNonAnonymous: 172,
  nowSemiAnonymous: 173,
  roomCreated: 201,
  nickAssigned: 210,
  banned: 301,
  nickChanged: 303,
  kicked: 307,
  removedAffiliation: 321,
  removedMembersOnly: 322,
  shutdown: 332,
  serviceError: 333,
} as const;

export type MucPresenceKind =
  | { readonly kind: "join" }
  | { readonly kind: "update" }
  | { readonly kind: "leave" }
  | { readonly kind: "nick-change"; readonly newNick: string }
  | { readonly kind: "kicked"; readonly reason?: string; readonly actor?: MucActor }
  | { readonly kind: "banned"; readonly reason?: string; readonly actor?: MucActor }
  | { readonly kind: "removed-affiliation" }
  | { readonly kind: "removed-members-only" }
  | { readonly kind: "shutdown" }
  | { readonly kind: "service-error" }
  | { readonly kind: "room-destroyed"; readonly destroy: MucDestroy };

const has = (p: Pick<Presence, "mucUser">, code: number) => p.mucUser?.statusCodes.includes(code) ?? false;

/** Whether a room presence is about the receiving occupant itself (status 110). */
export function isSelfPresence(p: Pick<Presence, "mucUser">): boolean {
  return has(p, MucStatus.self);
}

/** Whether the self-presence says the room was just created (201) and awaits configuration. */
export function isRoomCreated(p: Pick<Presence, "mucUser">): boolean {
  return has(p, MucStatus.roomCreated);
}

/**
 * What an occupant presence from a room means. `join` and `update` are told
 * apart by whether the caller already knew the occupant (`known`).
 */
export function mucPresenceKind(p: Pick<Presence, "type" | "mucUser">, known = false): MucPresenceKind {
  if (p.type !== "unavailable") return { kind: known ? "update" : "join" };
  const item = p.mucUser?.items[0];
  if (p.mucUser?.destroy) return { kind: "room-destroyed", destroy: p.mucUser.destroy };
  if (has(p, MucStatus.nickChanged) && item?.nick) return { kind: "nick-change", newNick: item.nick };
  const why = { ...(item?.reason !== undefined && { reason: item.reason }), ...(item?.actor && { actor: item.actor }) };
  if (has(p, MucStatus.banned)) return { kind: "banned", ...why };
  if (has(p, MucStatus.kicked)) return { kind: "kicked", ...why };
  if (has(p, MucStatus.removedAffiliation)) return { kind: "removed-affiliation" };
  if (has(p, MucStatus.removedMembersOnly)) return { kind: "removed-members-only" };
  if (has(p, MucStatus.shutdown)) return { kind: "shutdown" };
  if (has(p, MucStatus.serviceError)) return { kind: "service-error" };
  return { kind: "leave" };
}

// --- Builders a bridge uses -----------------------------------------------------

/** The presence that joins `room` as `nick` (sent to room/nick). */
export function buildMucJoin(o: {
  room: string;
  nick: string;
  from?: string;
  id?: string;
  password?: string;
  history?: MucHistory;
}): Element {
  return buildPresence({
    to: `${o.room}/${o.nick}`,
    from: o.from,
    id: o.id,
    muc: {
      ...(o.password !== undefined && { password: o.password }),
      ...(o.history !== undefined && { history: o.history }),
    },
  });
}

/** The presence that leaves `room`. */
export function buildMucLeave(o: { room: string; nick: string; from?: string; status?: string }): Element {
  return buildPresence({ type: "unavailable", to: `${o.room}/${o.nick}`, from: o.from, status: o.status });
}

/** A nick change is a presence to the new occupant JID (XEP-0045 §7.6), without the join payload. */
export function buildMucNickChange(o: { room: string; newNick: string; from?: string }): Element {
  return buildPresence({ to: `${o.room}/${o.newNick}`, from: o.from });
}

/** A muc#admin query (`set` changes items, `get` lists them). */
export function buildMucAdminQuery(items: readonly MucItem[]): Element {
  const q = element("query", { xmlns: NS.mucAdmin });
  for (const i of items) q.cnode(buildItem(i));
  return q;
}

export function parseMucAdminQuery(el: Element): Result<readonly MucItem[]> {
  if (localNameOf(el) !== "query" || attrOf(el, "xmlns") !== NS.mucAdmin) {
    return err(parseError("unexpected-element", "expected <query xmlns='http://jabber.org/protocol/muc#admin'/>"));
  }
  const items: MucItem[] = [];
  for (const c of elementsOf(el)) {
    if (localNameOf(c) !== "item") continue;
    const r = parseItem(c, "query/item");
    if (!r.ok) return r;
    items.push(r.value);
  }
  return ok(items);
}

interface AdminRequest {
  readonly room: string;
  readonly id: string;
  readonly from?: string;
  readonly reason?: string;
}

/** Kick an occupant: set their role to none (§8.2). */
export function buildMucKick(o: AdminRequest & { nick: string }): Element {
  const item: MucItem = { nick: o.nick, role: "none", ...(o.reason !== undefined && { reason: o.reason }) };
  return buildIq({ type: "set", id: o.id, to: o.room, from: o.from, payload: buildMucAdminQuery([item]) });
}

/** Ban a user: set their affiliation to outcast (§9.1). */
export function buildMucBan(o: AdminRequest & { jid: string }): Element {
  const item: MucItem = { jid: o.jid, affiliation: "outcast", ...(o.reason !== undefined && { reason: o.reason }) };
  return buildIq({ type: "set", id: o.id, to: o.room, from: o.from, payload: buildMucAdminQuery([item]) });
}

/** Change a role (by nick) or an affiliation (by bare JID). */
export function buildMucSetRole(o: AdminRequest & { nick: string; role: Role }): Element {
  const item: MucItem = { nick: o.nick, role: o.role, ...(o.reason !== undefined && { reason: o.reason }) };
  return buildIq({ type: "set", id: o.id, to: o.room, from: o.from, payload: buildMucAdminQuery([item]) });
}

export function buildMucSetAffiliation(o: AdminRequest & { jid: string; affiliation: Affiliation }): Element {
  const item: MucItem = { jid: o.jid, affiliation: o.affiliation, ...(o.reason !== undefined && { reason: o.reason }) };
  return buildIq({ type: "set", id: o.id, to: o.room, from: o.from, payload: buildMucAdminQuery([item]) });
}

/** Ask for the list of users with an affiliation (members, admins, outcasts...). */
export function buildMucAffiliationListRequest(o: {
  room: string;
  id: string;
  from?: string;
  affiliation: Affiliation;
}): Element {
  return buildIq({
    type: "get",
    id: o.id,
    to: o.room,
    from: o.from,
    payload: buildMucAdminQuery([{ affiliation: o.affiliation }]),
  });
}

/** Accept the default configuration of a newly created room (§10.1.2, instant room). */
export function buildMucInstantRoom(o: { room: string; id: string; from?: string }): Element {
  return buildIq({
    type: "set",
    id: o.id,
    to: o.room,
    from: o.from,
    payload: element("query", { xmlns: NS.mucOwner }, element("x", { xmlns: NS.dataForms, type: "submit" })),
  });
}

/** Destroy a room (§10.9). */
export function buildMucDestroy(o: {
  room: string;
  id: string;
  from?: string;
  reason?: string;
  alternate?: string;
}): Element {
  return buildIq({
    type: "set",
    id: o.id,
    to: o.room,
    from: o.from,
    payload: element(
      "query",
      { xmlns: NS.mucOwner },
      element("destroy", { jid: o.alternate }, o.reason !== undefined ? element("reason", {}, o.reason) : undefined),
    ),
  });
}
