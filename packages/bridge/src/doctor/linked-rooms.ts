/**
 * The links the bridge would load at start: its network's links in the
 * config, and those in the store (admins' links, and config links of earlier
 * runs, which the bridge keeps relaying until unlinked). Opening the store is
 * a check of its own: the bridge cannot start without it. A SQLite file that
 * does not exist yet is not created here (the bridge creates it): only its
 * folder must be writable.
 */
import { accessSync, constants, existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { BridgeConfig } from "../config/index.ts";
import { type BridgeStore, openStore, parseStoreUrl, redactStoreUrl } from "../store/index.ts";
import { type DoctorCheck, failed, passed } from "./doctor-check.ts";

export interface LinkedRoom {
  readonly channel: string;
  readonly room: string;
  /** Where the link comes from, as a fix would name it: "links[2]" or "the store". */
  readonly namedBy: string;
}

export interface GatheredLinks {
  readonly links: readonly LinkedRoom[];
  readonly check: DoctorCheck;
}

export async function gatherLinks(
  config: BridgeConfig,
  network: string,
  open: (url: string) => Promise<BridgeStore> = openStore,
): Promise<GatheredLinks> {
  const links: LinkedRoom[] = [];
  const seen = new Set<string>();
  const add = (l: LinkedRoom) => {
    const key = `${l.channel} ${l.room.toLowerCase()}`;
    if (seen.has(key)) return;
    seen.add(key);
    links.push({ ...l, room: l.room.toLowerCase() });
  };
  config.links.forEach((l, i) => {
    if (l.network === network) add({ channel: l.channel, room: l.room, namedBy: `links[${i}]` });
  });
  const url = config.store.url;
  const shown = redactStoreUrl(url);
  const target = parseStoreUrl(url);
  if (target.kind === "sqlite" && target.path !== ":memory:" && !existsSync(target.path)) {
    const folder = dirname(resolve(target.path));
    try {
      accessSync(folder, constants.W_OK);
    } catch {
      return {
        links,
        check: failed(
          "store",
          `${shown} does not exist, and its folder ${folder} cannot be written to`,
          "create the folder and let the bridge's user write there, or change store.url",
        ),
      };
    }
    return { links, check: passed("store", `${shown} does not exist yet; the bridge creates it when it starts`) };
  }
  let store: BridgeStore;
  try {
    store = await open(url);
  } catch (e) {
    return {
      links,
      check: failed(
        "store",
        `${shown} could not be opened: ${e instanceof Error ? e.message : String(e)}`,
        "check store.url (for PostgreSQL: that the server runs, and the user, password and database exist)",
      ),
    };
  }
  try {
    const stored = await store.listLinks(network).catch((e: unknown) => e as Error);
    if (stored instanceof Error) {
      return {
        links,
        check: failed("store", `${shown} opens, but its links cannot be read: ${stored.message}`, "check store.url"),
      };
    }
    for (const l of stored) add({ channel: l.channel, room: l.room, namedBy: "a link in the store" });
    const byAdmins = stored.filter((l) => l.source === "admin").length;
    return {
      links,
      check: passed(
        "store",
        `${shown} opens; it holds ${stored.length} link(s) of ${network}, ${byAdmins} made by admins`,
      ),
    };
  } finally {
    await store.close();
  }
}
