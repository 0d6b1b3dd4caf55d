/**
 * What people see instead of a file that could not be bridged: a file that
 * silently disappears makes a conversation confusing, a one-line notice does
 * not.
 */
import { sanitizeFilename } from "./media-names.ts";

const UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

/** A size for people: binary multiples, one decimal at most (`31.2 MB`, `25 MB`, `812 B`). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "? B";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const rounded = unit === 0 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${rounded} ${UNITS[unit]}`;
}

const MAX_NAME_CHARS = 80;

/** E.g. `[file "cat.mp4" (31.2 MB) not bridged: larger than the 25 MB limit]`. */
export function tooLargeNotice(o: { filename?: string; size?: number; limit: number }): string {
  let name = sanitizeFilename(o.filename);
  if (name !== undefined) {
    const chars = [...name];
    if (chars.length > MAX_NAME_CHARS) {
      // Keep the extension: it says more about the file than the middle of a long name.
      const dot = name.lastIndexOf(".");
      const ext = dot > 0 && name.length - dot <= 17 ? name.slice(dot) : "";
      name = `${chars.slice(0, MAX_NAME_CHARS - 1 - [...ext].length).join("")}…${ext}`;
    }
  }
  const what = name !== undefined ? `file "${name}"` : "a file";
  const size = o.size !== undefined && Number.isFinite(o.size) && o.size >= 0 ? ` (${formatSize(o.size)})` : "";
  return `[${what}${size} not bridged: larger than the ${formatSize(o.limit)} limit]`;
}
