/**
 * XEP-0004 Data Forms (v2.13): `<x xmlns="jabber:x:data">` forms, submissions
 * and result tables, used by disco extensions (XEP-0128), caps (XEP-0115),
 * ad-hoc commands (XEP-0050), MUC configuration and MAM queries.
 */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { attrOf, childOf, childrenOf, type Element, element, localNameOf, textOf } from "../xml.ts";

export const FORM_TYPES = ["form", "submit", "cancel", "result"] as const;
export type FormType = (typeof FORM_TYPES)[number];

export const FIELD_TYPES = [
  "boolean",
  "fixed",
  "hidden",
  "jid-multi",
  "jid-single",
  "list-multi",
  "list-single",
  "text-multi",
  "text-private",
  "text-single",
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FormOption {
  readonly label?: string;
  readonly value: string;
}

export interface FormField {
  readonly var?: string;
  /** Absent means text-single, per §3.3. */
  readonly type?: FieldType;
  readonly label?: string;
  readonly desc?: string;
  readonly required?: boolean;
  readonly values: readonly string[];
  readonly options?: readonly FormOption[];
}

export interface DataForm {
  readonly type: FormType;
  readonly title?: string;
  readonly instructions?: readonly string[];
  readonly fields: readonly FormField[];
  /** Result tables: the column definitions and the rows. */
  readonly reported?: readonly FormField[];
  readonly items?: ReadonlyArray<readonly FormField[]>;
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0004: a data form carried in a message. */
    readonly form?: DataForm;
  }
}

const FORM_TYPE_SET = new Set<string>(FORM_TYPES);
const FIELD_TYPE_SET = new Set<string>(FIELD_TYPES);

function parseField(el: Element, path: string): Result<FormField> {
  const type = attrOf(el, "type");
  if (type !== undefined && !FIELD_TYPE_SET.has(type)) {
    return err(parseError("invalid-attribute", `unknown field type "${type}"`, `${path}@type`));
  }
  const values = childrenOf(el, "value", NS.dataForms).map((v) => textOf(v) ?? "");
  if (type === "boolean") {
    for (const v of values) {
      if (!/^(0|1|true|false)$/.test(v.trim())) {
        return err(
          parseError("invalid-text", `boolean field value "${v}" is not 0, 1, true or false`, `${path}/value`),
        );
      }
    }
  }
  const options: FormOption[] = [];
  for (const o of childrenOf(el, "option", NS.dataForms)) {
    const value = textOf(childOf(o, "value", NS.dataForms));
    if (value === undefined)
      return err(parseError("missing-element", "a field option needs a <value/>", `${path}/option`));
    const label = attrOf(o, "label");
    options.push(label === undefined ? { value } : { label, value });
  }
  const v = attrOf(el, "var");
  const label = attrOf(el, "label");
  const desc = textOf(childOf(el, "desc", NS.dataForms));
  return ok({
    ...(v !== undefined && { var: v }),
    ...(type !== undefined && { type: type as FieldType }),
    ...(label !== undefined && { label }),
    ...(desc !== undefined && { desc }),
    ...(childOf(el, "required", NS.dataForms) && { required: true }),
    values,
    ...(options.length > 0 && { options }),
  });
}

function parseFields(el: Element, path: string): Result<FormField[]> {
  const out: FormField[] = [];
  for (const f of childrenOf(el, "field", NS.dataForms)) {
    const r = parseField(f, `${path}/field`);
    if (!r.ok) return r;
    out.push(r.value);
  }
  return ok(out);
}

export function parseDataForm(el: Element): Result<DataForm> {
  if (localNameOf(el) !== "x" || el.getNS() !== NS.dataForms) {
    return err(parseError("unexpected-element", "expected <x xmlns='jabber:x:data'/>"));
  }
  const type = attrOf(el, "type");
  if (type === undefined || !FORM_TYPE_SET.has(type)) {
    return err(parseError("invalid-attribute", `form type must be one of ${FORM_TYPES.join(", ")}`, "x@type"));
  }
  const fields = parseFields(el, "x");
  if (!fields.ok) return fields;
  const title = textOf(childOf(el, "title", NS.dataForms));
  const instructions = childrenOf(el, "instructions", NS.dataForms).map((i) => textOf(i) ?? "");
  const reportedEl = childOf(el, "reported", NS.dataForms);
  let reported: FormField[] | undefined;
  if (reportedEl) {
    const r = parseFields(reportedEl, "x/reported");
    if (!r.ok) return r;
    reported = r.value;
  }
  const items: FormField[][] = [];
  for (const it of childrenOf(el, "item", NS.dataForms)) {
    const r = parseFields(it, "x/item");
    if (!r.ok) return r;
    items.push(r.value);
  }
  return ok({
    type: type as FormType,
    ...(title !== undefined && { title }),
    ...(instructions.length > 0 && { instructions }),
    fields: fields.value,
    ...(reported !== undefined && { reported }),
    ...(items.length > 0 && { items }),
  });
}

function buildField(f: FormField): Element {
  const el = element("field", { var: f.var, type: f.type, label: f.label });
  if (f.desc !== undefined) el.cnode(element("desc", {}, f.desc));
  if (f.required) el.cnode(element("required", {}));
  for (const v of f.values) el.cnode(element("value", {}, v));
  for (const o of f.options ?? []) el.cnode(element("option", { label: o.label }, element("value", {}, o.value)));
  return el;
}

export function buildDataForm(form: DataForm): Element {
  const el = element("x", { xmlns: NS.dataForms, type: form.type });
  if (form.title !== undefined) el.cnode(element("title", {}, form.title));
  for (const i of form.instructions ?? []) el.cnode(element("instructions", {}, i));
  for (const f of form.fields) el.cnode(buildField(f));
  if (form.reported) {
    const r = element("reported", {});
    for (const f of form.reported) r.cnode(buildField(f));
    el.cnode(r);
  }
  for (const row of form.items ?? []) {
    const it = element("item", {});
    for (const f of row) it.cnode(buildField(f));
    el.cnode(it);
  }
  return el;
}

export const dataFormCodec: PayloadCodec<DataForm> = {
  names: ["x"],
  ns: NS.dataForms,
  parse: parseDataForm,
  build: buildDataForm,
};

/** The first value of field `name`. */
export function formValue(form: DataForm, name: string): string | undefined {
  return form.fields.find((f) => f.var === name)?.values[0];
}

/** All values of field `name` (empty when absent). */
export function formValues(form: DataForm, name: string): readonly string[] {
  return form.fields.find((f) => f.var === name)?.values ?? [];
}

/** A boolean field's value (0/1/true/false), undefined when absent. */
export function formBoolean(form: DataForm, name: string): boolean | undefined {
  const v = formValue(form, name)?.trim();
  return v === undefined ? undefined : v === "1" || v === "true";
}

/** The FORM_TYPE hidden field (XEP-0068), if any. */
export function formType(form: DataForm): string | undefined {
  return formValue(form, "FORM_TYPE");
}

/** A submission of `form` with the given values (FORM_TYPE is carried over). */
export function submitForm(
  form: DataForm,
  values: Readonly<Record<string, string | readonly string[] | boolean>>,
): DataForm {
  const fields: FormField[] = [];
  const ft = formType(form);
  if (ft !== undefined) fields.push({ var: "FORM_TYPE", type: "hidden", values: [ft] });
  for (const [name, v] of Object.entries(values)) {
    const declared = form.fields.find((f) => f.var === name);
    const list = typeof v === "boolean" ? [v ? "1" : "0"] : typeof v === "string" ? [v] : [...v];
    fields.push({ var: name, ...(declared?.type !== undefined && { type: declared.type }), values: list });
  }
  return { type: "submit", fields };
}
