/**
 * The data forms (XEP-0004) of the admin commands: what each command shows,
 * and a strict reading of what comes back, so a hostile or broken client gets
 * a message rather than reaching the bridge's actions with odd values.
 */
import type { DataForm, FormField } from "@parley/stanza";
import type { AdminLink, AdminLinkTarget } from "./admin-actions.ts";

/** Longer than any JID (3 parts of 1023 bytes plus separators); a longer value is not a mistake but an attack. */
export const MAX_FIELD_CHARS = 3071;

/** The status fields, in the order the bridge gave them. */
export function statusForm(status: Readonly<Record<string, string>>): DataForm {
  return {
    type: "result",
    title: "Bridge status",
    fields: Object.entries(status).map(([name, value]) => ({ var: name, label: name, values: [value] })),
  };
}

const LINK_COLUMNS: readonly FormField[] = [
  { var: "network", label: "Network", values: [] },
  { var: "channel", label: "Channel", values: [] },
  { var: "room", label: "Room", values: [] },
  { var: "source", label: "Source", values: [] },
];

/** A table of links, one row each. */
export function linksForm(links: readonly AdminLink[]): DataForm {
  return {
    type: "result",
    title: links.length === 0 ? "No links" : `${links.length} link${links.length === 1 ? "" : "s"}`,
    fields: [],
    reported: LINK_COLUMNS,
    items: links.map((l) => [
      { var: "network", values: [l.network] },
      { var: "channel", values: [l.channel] },
      { var: "room", values: [l.room] },
      { var: "source", values: [l.source] },
    ]),
  };
}

/** The three fields naming a link, pre-filled with what the admin sent last (after an error). */
function targetFields(networks: readonly string[], required: boolean, last: Partial<AdminLinkTarget>): FormField[] {
  const value = (v: string | undefined) => (v === undefined || v === "" ? [] : [v]);
  return [
    {
      var: "network",
      type: "list-single",
      label: "Network",
      ...(required && { required }),
      values: value(last.network ?? (networks.length === 1 ? networks[0] : undefined)),
      options: networks.map((n) => ({ value: n })),
    },
    {
      var: "channel",
      type: "text-single",
      label: "Channel id",
      ...(required && { required }),
      values: value(last.channel),
    },
    {
      var: "room",
      type: "jid-single",
      label: "Room JID",
      ...(required && { required }),
      values: value(last.room),
    },
  ];
}

export function linkForm(networks: readonly string[], last: Partial<AdminLinkTarget> = {}): DataForm {
  return {
    type: "form",
    title: "Link a channel to a room",
    instructions: ["Messages in the channel will appear in the room, and the other way round."],
    fields: targetFields(networks, true, last),
  };
}

/** The label of a link in the unlink choice. */
export function linkLabel(l: AdminLink): string {
  return `${l.network}: ${l.channel} -> ${l.room}${l.source === "config" ? " (config)" : ""}`;
}

/**
 * The unlink form: a choice among `links` (whose values are their positions,
 * 1-based, in the list the session remembers), or the three fields naming one.
 */
export function unlinkForm(
  networks: readonly string[],
  links: readonly AdminLink[],
  last: Partial<AdminLinkTarget> = {},
): DataForm {
  return {
    type: "form",
    title: "Unlink a channel from a room",
    instructions: ["Choose a link, or name one by network, channel and room."],
    fields: [
      {
        var: "link",
        type: "list-single",
        label: "Link",
        values: [],
        options: links.map((l, i) => ({ label: linkLabel(l), value: String(i + 1) })),
      },
      ...targetFields(networks, false, last),
    ],
  };
}

/** What a submitted field holds: absent, or its one value, trimmed. */
export type Submitted = Readonly<Record<string, string | undefined>>;

/**
 * Reads single-valued fields `names` from a submission. A field sent twice,
 * with several values, or longer than MAX_FIELD_CHARS makes the whole form
 * malformed (the message says which field); a field left out reads as
 * undefined, and the caller decides whether that is allowed.
 */
export function readSubmission(
  form: DataForm,
  names: readonly string[],
): { readonly values: Submitted } | { readonly malformed: string } {
  const values: Record<string, string | undefined> = {};
  for (const name of names) {
    const fields = form.fields.filter((f) => f.var === name);
    if (fields.length > 1) return { malformed: `the form has field "${name}" more than once` };
    const field = fields[0];
    if (field === undefined) continue;
    if (field.values.length > 1) return { malformed: `field "${name}" takes one value, not ${field.values.length}` };
    const v = (field.values[0] ?? "").trim();
    if (v.length > MAX_FIELD_CHARS) return { malformed: `field "${name}" is over ${MAX_FIELD_CHARS} characters` };
    values[name] = v;
  }
  return { values };
}
