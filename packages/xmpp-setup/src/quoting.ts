/** String literals for the two configuration languages, safe for any input. */

/** A Lua double-quoted string: backslash, quote and control characters escaped (decimal escapes work in every Lua). */
export function luaString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === "\\" || char === '"') out += `\\${char}`;
    else if (char === "\n") out += "\\n";
    else if (code < 0x20 || code === 0x7f) out += `\\${String(code).padStart(3, "0")}`;
    else out += char;
  }
  return `${out}"`;
}

/** A YAML double-quoted scalar: a JSON string is one, in YAML 1.1 (ejabberd's parser) as in 1.2. */
export function yamlString(value: string): string {
  return JSON.stringify(value);
}
