/**
 * The table a bench prints to stdout: Markdown, so it can be pasted into an
 * issue or a README as it is, with columns padded so it also reads in a
 * terminal.
 */

export type ColumnAlign = "left" | "right";

/** A cell's text on one line, with the column separator escaped. */
function cellText(cell: string): string {
  return cell.replace(/\s*[\r\n]+\s*/g, " ").replaceAll("|", "\\|");
}

/**
 * A Markdown table of `header` and `rows`; `align` per column (default: the
 * first column left, the others right, as figures are). Short rows are
 * filled with empty cells; a row longer than the header is an error.
 */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly ColumnAlign[],
): string {
  if (header.length === 0) throw new RangeError("a table needs at least one column");
  const long = rows.findIndex((r) => r.length > header.length);
  if (long >= 0) {
    throw new RangeError(`row ${long + 1} has ${rows[long]?.length} cells, the header ${header.length}`);
  }
  const aligns = header.map((_, i) => align?.[i] ?? (i === 0 ? "left" : "right"));
  const cells = [header, ...rows].map((r) => header.map((_, i) => cellText(r[i] ?? "")));
  // Three dashes at the least: Markdown's shortest delimiter cell.
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] as string).length)));
  const line = (r: readonly string[]) =>
    `| ${r.map((c, i) => (aligns[i] === "right" ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (aligns[i] === "right" ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  const [head, ...body] = cells;
  return [line(head ?? []), rule, ...body.map(line)].join("\n");
}

/** How a table says whether a figure meets its target. */
export function targetVerdict(met: boolean): string {
  return met ? "meets target" : "MISSES target";
}
