/**
 * Prosody keeps at most `muc_room_cache_size` rooms of a MUC component in
 * memory (100 by default, in 0.12) and swaps the rest out, or refuses a new
 * room when it cannot; the bridge sits in every linked room at once, so more
 * linked rooms than that on one service is a setting to raise. The setting
 * cannot be read from outside the server: past 100, the check warns.
 */
import { type DoctorCheck, warned } from "./doctor-check.ts";
import type { ServerKind } from "./server-kind.ts";

export const PROSODY_DEFAULT_ROOM_CACHE = 100;

export function roomCacheChecks(rooms: readonly string[], kind: ServerKind): DoctorCheck[] {
  if (kind === "ejabberd") return [];
  const perService = new Map<string, number>();
  for (const room of rooms) {
    const service = room.slice(room.indexOf("@") + 1).toLowerCase();
    perService.set(service, (perService.get(service) ?? 0) + 1);
  }
  const checks: DoctorCheck[] = [];
  for (const [service, count] of perService) {
    if (count <= PROSODY_DEFAULT_ROOM_CACHE) continue;
    const enough = Math.ceil((count * 1.5) / 100) * 100;
    checks.push(
      warned(
        `room cache of ${service}`,
        `${count} rooms are linked there, and Prosody keeps ${PROSODY_DEFAULT_ROOM_CACHE} rooms of a MUC service in memory by default (muc_room_cache_size)${kind === "prosody" ? "" : ", if the server is Prosody"}`,
        `unless it is set higher already, set muc_room_cache_size = ${enough} (more than the rooms in use, linked or not) under Component "${service}" "muc" in prosody.cfg.lua and restart Prosody`,
      ),
    );
  }
  return checks;
}
