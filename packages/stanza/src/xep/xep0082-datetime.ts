/** XEP-0082 XMPP Date and Time Profiles (v1.1.1): the DateTime profile, CCYY-MM-DDThh:mm:ss[.sss]TZD. */
import { err, ok, parseError, type Result } from "../result.ts";

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/** Reads a DateTime; fractions beyond milliseconds are truncated. */
export function parseDateTime(s: string, path = "stamp"): Result<Date> {
  const m = DATETIME.exec(s);
  if (!m) return err(parseError("invalid-attribute", `"${s.slice(0, 64)}" is not an XEP-0082 DateTime`, path));
  const [, y, mo, d, h, mi, se, frac, tz] = m as unknown as string[];
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(se);
  const daysInMonth = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) {
    return err(parseError("invalid-attribute", `"${s}" has a field out of range`, path));
  }
  let offset = 0;
  if (tz !== "Z") {
    const oh = Number(tz?.slice(1, 3));
    const om = Number(tz?.slice(4, 6));
    if (oh > 23 || om > 59) return err(parseError("invalid-attribute", `"${s}" has an invalid time zone`, path));
    offset = (tz?.startsWith("-") ? -1 : 1) * (oh * 60 + om);
  }
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, "0")) : 0;
  const t = Date.UTC(Number(y), month - 1, day, hour, minute, Math.min(second, 59), ms) - offset * 60_000;
  return ok(new Date(t));
}

/** Writes a DateTime in UTC, with milliseconds only when they are not zero. */
export function formatDateTime(d: Date): string {
  const iso = d.toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}
