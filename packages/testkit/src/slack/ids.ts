/**
 * Slack-shaped identifiers: a letter for the kind (T team, U user, B bot,
 * A app, C channel, D DM, S usergroup, F file) then upper-case base-36, and
 * message timestamps (`ts`), which are a message's id in Slack: seconds with
 * six digits of microseconds, strictly increasing in this fake so that two
 * messages never share one.
 */
import { randomBytes } from "node:crypto";

export class IdSource {
  private next = 1;
  private lastTsMicros = 0;

  /** `prefix` plus ten characters; each call gives a new one. */
  id(prefix: string): string {
    const n = this.next++;
    return `${prefix}0${n.toString(36).toUpperCase().padStart(4, "0")}${randomBytes(3).toString("hex").toUpperCase()}`.slice(
      0,
      11,
    );
  }

  /** A new message timestamp, after every one given before. */
  ts(): string {
    const now = Date.now() * 1000;
    this.lastTsMicros = Math.max(now, this.lastTsMicros + 1);
    return microsToTs(this.lastTsMicros);
  }
}

export function microsToTs(micros: number): string {
  const s = Math.floor(micros / 1e6);
  return `${s}.${String(micros % 1e6).padStart(6, "0")}`;
}

/** Orders two `ts` strings numerically (same as comparing them as decimals, without float error). */
export function compareTs(a: string, b: string): number {
  const [as, au = ""] = a.split(".");
  const [bs, bu = ""] = b.split(".");
  const d = Number(as) - Number(bs);
  return d !== 0 ? Math.sign(d) : Math.sign(Number(au.padEnd(6, "0")) - Number(bu.padEnd(6, "0")));
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}
