/**
 * The Prosody text, read by the Lua that Prosody itself runs on (Debian's
 * prosody package depends on lua5.4): every option lands on the host it is
 * meant for, and secrets come back exactly as given, whatever they hold.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { PROSODY_FILE_NAME, prosodyConfig, prosodyHostModules, type ServerSetup } from "../src/index.ts";

const LUA = "lua5.4";

/**
 * Runs the text as Prosody's config loader would (Component switches the host
 * that later options go to) and returns each host's options as JSON-ish text.
 */
function evaluate(text: string): Record<string, Record<string, unknown>> {
  const loader = `
local hosts, current = { ["*"] = {} }, "*"
local env = setmetatable({}, {
  __index = function(_, k)
    if k == "Component" then
      return function(name)
        hosts[name] = hosts[name] or {}; current = name
        return function(kind) hosts[name].component_module = kind; return function() end end
      end
    end
  end,
  __newindex = function(_, k, v) hosts[current][k] = v end,
})
local chunk = assert(load(io.read("a"), "config", "t", env)); chunk()
local function dump(v)
  if type(v) == "table" and next(v) ~= nil and #v == 0 then
    local keys, parts = {}, {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    for i, k in ipairs(keys) do parts[i] = string.format("%q:%s", k, dump(v[k])) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = dump(x) end
    return "[" .. table.concat(parts, ",") .. "]"
  elseif type(v) == "string" then
    return '"' .. v:gsub('[%c"\\\\]', function(c) return string.format("\\\\u%04x", c:byte()) end) .. '"'
  end
  return tostring(v)
end
local out = {}
for host, options in pairs(hosts) do
  local fields = {}
  for k, v in pairs(options) do fields[#fields + 1] = string.format("%q:%s", k, dump(v)) end
  out[#out + 1] = string.format("%q:{%s}", host, table.concat(fields, ","))
end
io.write("{" .. table.concat(out, ",") .. "}")
`;
  let json: string;
  try {
    json = execFileSync(LUA, ["-e", loader], { input: text, encoding: "utf8" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      assert.fail(`${LUA} is not installed; it comes with Prosody: apt-get install prosody lua5.4`);
    }
    throw e;
  }
  return JSON.parse(json) as Record<string, Record<string, unknown>>;
}

const SETUP: ServerSetup = {
  domain: "example.org",
  mucDomain: "conference.example.org",
  components: [
    { domain: "discord.example.org", secret: "first-secret-0123" },
    { domain: "matrix.example.org", secret: "second-secret-4567" },
  ],
};

describe("prosodyConfig", () => {
  it("declares the component port globally, the MUC service, and one component per bridge", () => {
    const hosts = evaluate(prosodyConfig({ ...SETUP, componentPort: 5999 }));
    assert.deepEqual(hosts["*"], {
      component_ports: [5999],
      component_interfaces: ["127.0.0.1"],
      component_conflict_resolve: "kick_old",
      privileged_entities: {
        "discord.example.org": { presence: "managed_entity", roster: "set" },
        "matrix.example.org": { presence: "managed_entity", roster: "set" },
      },
    });
    assert.deepEqual(hosts["conference.example.org"], {
      component_module: "muc",
      modules_enabled: ["muc_mam", "muc_moderation"],
      muc_log_by_default: true,
      muc_room_cache_size: 1000,
    });
    assert.deepEqual(hosts["discord.example.org"], {
      component_secret: "first-secret-0123",
      modules_enabled: ["privilege"],
    });
    assert.deepEqual(hosts["matrix.example.org"], {
      component_secret: "second-secret-4567",
      modules_enabled: ["privilege"],
    });
  });

  it("grants contacts (XEP-0356) only to the bridges that want them, and names the module the host needs", () => {
    const components = [
      { domain: "discord.example.org", secret: "first-secret-0123" },
      { domain: "matrix.example.org", secret: "second-secret-4567", rosterPrivilege: false },
    ];
    const text = prosodyConfig({ ...SETUP, components });
    const hosts = evaluate(text);
    assert.deepEqual(hosts["*"]?.privileged_entities, {
      "discord.example.org": { presence: "managed_entity", roster: "set" },
    });
    assert.equal(hosts["matrix.example.org"]?.modules_enabled, undefined);
    assert.deepEqual(prosodyHostModules({ ...SETUP, components }), ["privilege"]);
    assert.match(text, /add "privilege" to modules_enabled/, "tells the operator what the host needs");

    const none = components.map((c) => ({ ...c, rosterPrivilege: false }));
    assert.equal(evaluate(prosodyConfig({ ...SETUP, components: none }))["*"]?.privileged_entities, undefined);
    assert.deepEqual(prosodyHostModules({ ...SETUP, components: none }), []);
  });

  it("leaves out the archive or moderation module when asked", () => {
    const noArchive = evaluate(prosodyConfig({ ...SETUP, muc: { archive: false } }))["conference.example.org"];
    assert.deepEqual(noArchive?.modules_enabled, ["muc_moderation"]);
    assert.equal(noArchive?.muc_log_by_default, undefined);
    const neither = evaluate(prosodyConfig({ ...SETUP, muc: { archive: false, moderation: false } }));
    assert.deepEqual(neither["conference.example.org"]?.modules_enabled, []);
  });

  it("writes the room cache size it is given", () => {
    const hosts = evaluate(prosodyConfig({ ...SETUP, roomCacheSize: 5000 }));
    assert.equal(hosts["conference.example.org"]?.muc_room_cache_size, 5000);
  });

  it("keeps any secret intact: quotes, backslashes, Lua long brackets, non-ASCII", () => {
    const secret = `a"b\\c]]d--[[e'f\u00e9\u{1F600}$\{x}`;
    const hosts = evaluate(prosodyConfig({ ...SETUP, components: [{ domain: "discord.example.org", secret }] }));
    assert.equal(hosts["discord.example.org"]?.component_secret, secret);
  });

  it("says how to include it", () => {
    assert.match(prosodyConfig(SETUP), new RegExp(`Include "/etc/prosody/${PROSODY_FILE_NAME.replace(".", "\\.")}"`));
  });
});
