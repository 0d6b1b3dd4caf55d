/**
 * Remote users as XMPP puppets: `<escaped id>@<component domain>`, with the
 * display name and avatar the network gives them, persisted so a restart keeps
 * the same identities. Avatars are fetched once per change and re-hosted; their
 * XEP-0153 hash goes in puppet presence and the bytes are served as the
 * puppet's vCard-temp (XEP-0054).
 *
 * Memory per idle puppet is kept small: one short object per puppet, no
 * per-puppet timers or closures.
 */
import { buildVcard, localFromRemoteId, NS, parseJid } from "@parley/stanza";
import type { IqRouter } from "../component/iq-router.ts";
import type { RemotePresence, RemoteUser } from "../connector/connector.ts";
import type { Logger } from "../ops/logger-types.ts";
import type { PuppetIdentity } from "../puppets/muc-occupancy.ts";
import type { BridgeStore } from "../store/index.ts";
import { boundedName } from "./message-bounds.ts";

/** Fetches and re-hosts avatars; implemented by the engine over its media store. */
export interface AvatarHost {
  /** Downloads an avatar; resolves with where it is kept and its SHA-1 (XEP-0153) hash, or undefined when it cannot be had. */
  fetch(
    url: string,
  ): Promise<{ readonly mediaId: string; readonly hash: string; readonly contentType: string } | undefined>;
  read(mediaId: string): Promise<{ readonly bytes: Uint8Array; readonly contentType: string } | undefined>;
}

export interface Puppet {
  readonly remoteId: string;
  readonly local: string;
  displayName: string;
  avatarUrl: string | undefined;
  /** "" = no avatar; undefined = not known yet. */
  avatarHash: string | undefined;
  avatarMediaId: string | undefined;
  presence: RemotePresence | undefined;
}

const LOCAL_SCOPE = "puppet-local";

export class PuppetDirectory {
  /**
   * Every puppet seen since the start: one short object per remote user who
   * was online, spoke or was looked up, so bounded by the members of the
   * linked places (about 0.5 KiB each, see bench/idle-puppets.ts); the
   * directory is the store's, and `size` is parley_puppets.
   */
  private readonly byLocalMap = new Map<string, Puppet>();
  /**
   * The same puppets by remote id, once `ensure` has met them (bounded like
   * byLocalMap): a user who speaks again is found without deriving the
   * localpart anew (an escape, a stringprep check and, for ids such as
   * Slack's in capitals, a SHA-256).
   */
  private readonly byRemoteMap = new Map<string, Puppet>();
  /** How many puppets in memory go by each name (folded): for `isRemoteName`. */
  private readonly names = new Map<string, number>();
  private readonly network: string;
  private readonly domain: string;
  private readonly store: BridgeStore;
  private readonly avatars: AvatarHost | undefined;
  private readonly logger: Logger;

  constructor(o: { network: string; domain: string; store: BridgeStore; avatars?: AvatarHost; logger: Logger }) {
    this.network = o.network;
    this.domain = o.domain;
    this.store = o.store;
    this.avatars = o.avatars;
    this.logger = o.logger;
  }

  get size(): number {
    return this.byLocalMap.size;
  }

  jidOf(p: Puppet): string {
    return `${p.local}@${this.domain}`;
  }

  identity(p: Puppet): PuppetIdentity {
    return { local: p.local, nick: p.displayName, avatarHash: p.avatarHash ?? "" };
  }

  /** The puppet of a remote user, created or updated; `changed` says whether the name or avatar changed. */
  async ensure(remote: RemoteUser): Promise<{ puppet: Puppet; changed: boolean }> {
    // A name from outside becomes a MUC nick and a vCard: bounded before either, and before the store.
    const user = { ...remote, displayName: boundedName(remote.displayName) };
    let p = this.byRemoteMap.get(user.id);
    const local = p?.local ?? localFromRemoteId(user.id);
    p ??= this.byLocalMap.get(local);
    // A puppet first seen is written down even when nothing about it changes from here: after a restart, a
    // puppet that acts before it speaks again (a deletion, a membership) is known by its name, not its id.
    let unsaved = false;
    if (!p) {
      const saved = await this.store.getPuppet(this.network, user.id);
      p = {
        remoteId: user.id,
        local,
        displayName: saved?.displayName ?? user.displayName,
        avatarUrl: saved?.avatarUrl,
        avatarHash: saved?.avatarHash,
        avatarMediaId: undefined,
        presence: undefined,
      };
      this.byLocalMap.set(local, p);
      this.countName(p.displayName, 1);
      if (!saved) {
        unsaved = true;
        await this.store.setState(LOCAL_SCOPE, `${this.network} ${local}`, user.id);
      }
    }
    if (p.remoteId === user.id) this.byRemoteMap.set(user.id, p);
    let changed = false;
    if (user.displayName && user.displayName !== p.displayName) {
      this.countName(p.displayName, -1);
      this.countName(user.displayName, 1);
      p.displayName = user.displayName;
      changed = true;
    }
    if (user.avatarUrl !== p.avatarUrl || (user.avatarUrl !== undefined && p.avatarHash === undefined)) {
      p.avatarUrl = user.avatarUrl;
      await this.refreshAvatar(p);
      changed = true;
    } else if (p.avatarHash === undefined) {
      p.avatarHash = "";
    }
    if (changed || unsaved) {
      await this.store.putPuppet({
        network: this.network,
        remoteId: p.remoteId,
        displayName: p.displayName,
        ...(p.avatarUrl !== undefined && { avatarUrl: p.avatarUrl }),
        ...(p.avatarHash !== undefined && { avatarHash: p.avatarHash }),
        updatedAt: Date.now(),
      });
    }
    return { puppet: p, changed };
  }

  /** The puppet behind a localpart, from memory or the store; undefined for a JID the bridge never handed out. */
  async byLocal(local: string): Promise<Puppet | undefined> {
    const known = this.byLocalMap.get(local);
    if (known) return known;
    const remoteId = await this.store.getState(LOCAL_SCOPE, `${this.network} ${local}`);
    if (remoteId === undefined) return undefined;
    const saved = await this.store.getPuppet(this.network, remoteId);
    const p: Puppet = {
      remoteId,
      local,
      displayName: saved?.displayName ?? remoteId,
      avatarUrl: saved?.avatarUrl,
      avatarHash: saved?.avatarHash,
      avatarMediaId: undefined,
      presence: undefined,
    };
    this.byLocalMap.set(local, p);
    this.countName(p.displayName, 1);
    return p;
  }

  /**
   * Whether a remote user the bridge knows goes by `name` (letter case,
   * compatibility forms and spacing aside): an XMPP nick that copies it is
   * marked on the remote side, so nobody passes for them there.
   */
  isRemoteName(name: string): boolean {
    return (this.names.get(foldName(name)) ?? 0) > 0;
  }

  private countName(name: string, delta: number): void {
    const key = foldName(name);
    const n = (this.names.get(key) ?? 0) + delta;
    if (n > 0) this.names.set(key, n);
    else this.names.delete(key);
  }

  /** Localparts known in memory (for disco: unknown puppets get item-not-found). */
  has(local: string): boolean {
    return this.byLocalMap.has(local);
  }

  /** The puppet behind a localpart if it is in memory (no store access). */
  peek(local: string): Puppet | undefined {
    return this.byLocalMap.get(local);
  }

  private async refreshAvatar(p: Puppet): Promise<void> {
    if (p.avatarUrl === undefined || !this.avatars) {
      p.avatarHash = "";
      p.avatarMediaId = undefined;
      return;
    }
    try {
      const got = await this.avatars.fetch(p.avatarUrl);
      p.avatarHash = got?.hash ?? "";
      p.avatarMediaId = got?.mediaId;
    } catch (e) {
      this.logger.warn("could not fetch an avatar; the puppet is shown without one", {
        puppet: p.local,
        error: e instanceof Error ? e.message : String(e),
      });
      p.avatarHash = "";
      p.avatarMediaId = undefined;
    }
  }

  /**
   * The avatar of the puppet behind `local` (fetched again when only its URL
   * is known): undefined for no such puppet, null for a puppet without one.
   */
  async avatarOf(
    local: string,
  ): Promise<{ readonly hash: string; readonly bytes: Uint8Array; readonly contentType: string } | null | undefined> {
    const p = await this.byLocal(local);
    if (!p) return undefined;
    if (p.avatarMediaId === undefined && p.avatarUrl !== undefined && this.avatars) await this.refreshAvatar(p);
    const photo = p.avatarMediaId !== undefined ? await this.avatars?.read(p.avatarMediaId) : undefined;
    if (!photo || p.avatarHash === undefined || p.avatarHash === "") return null;
    return { hash: p.avatarHash, bytes: photo.bytes, contentType: photo.contentType };
  }

  /** Serves vCard-temp for puppets (name, nickname, photo). */
  installVcard(router: IqRouter): void {
    router.handle("get", NS.vcardTemp, "vCard", async (iq) => {
      const to = parseJid(iq.to ?? "");
      if (!to.ok || to.value.domain !== this.domain) return { error: { condition: "item-not-found" } };
      if (to.value.local === undefined) return { payload: buildVcard({ fullName: this.domain }) };
      const p = await this.byLocal(to.value.local);
      if (!p) return { error: { condition: "item-not-found" } };
      if (p.avatarMediaId === undefined && p.avatarUrl !== undefined && this.avatars) await this.refreshAvatar(p);
      const photo = p.avatarMediaId !== undefined ? await this.avatars?.read(p.avatarMediaId) : undefined;
      return {
        payload: buildVcard({
          fullName: p.displayName,
          nickname: p.displayName,
          ...(photo && { photo: { type: photo.contentType, data: photo.bytes } }),
        }),
      };
    });
  }
}

/** A name as people read it: compatibility forms folded, invisible characters and spacing dropped, any case. */
function foldName(name: string): string {
  return name
    .normalize("NFKC")
    .replace(/[\p{Cf}\p{Cc}\s]+/gu, "")
    .toLowerCase();
}
