/** The ejabberd text, read as YAML: the listener, the rules and the MUC service as ejabberd will see them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import {
  EJABBERD_ACL,
  EJABBERD_CONTACTS_RULE,
  EJABBERD_MUC_CREATE_RULE,
  ejabberdConfig,
  type ServerSetup,
} from "../src/index.ts";

const SETUP: ServerSetup = {
  domain: "example.org",
  mucDomain: "conference.example.org",
  components: [
    { domain: "discord.example.org", secret: "first-secret-0123" },
    { domain: "matrix.example.org", secret: "second-secret-4567" },
  ],
};

interface EjabberdFile {
  listen: Array<{ port: number; ip: string; module: string; hosts: Record<string, { password: string }> }>;
  acl: Record<string, { server: string[] }>;
  access_rules: Record<string, Array<Record<string, string>>>;
  modules: Record<string, Record<string, unknown>>;
}

const read = (setup: ServerSetup) => parse(ejabberdConfig(setup)) as EjabberdFile;

describe("ejabberdConfig", () => {
  it("listens for the bridges on the component port, each with its secret", () => {
    const file = read({ ...SETUP, componentPort: 5999, componentInterface: "::1" });
    assert.deepEqual(file.listen, [
      {
        port: 5999,
        ip: "::1",
        module: "ejabberd_service",
        hosts: {
          "discord.example.org": { password: "first-secret-0123" },
          "matrix.example.org": { password: "second-secret-4567" },
        },
      },
    ]);
  });

  it("lets local users and the bridges create rooms", () => {
    const file = read(SETUP);
    assert.deepEqual(file.acl[EJABBERD_ACL], { server: ["discord.example.org", "matrix.example.org"] });
    assert.deepEqual(file.access_rules[EJABBERD_MUC_CREATE_RULE], [{ allow: "local" }, { allow: EJABBERD_ACL }]);
    assert.equal(file.modules.mod_muc?.access_create, EJABBERD_MUC_CREATE_RULE);
  });

  it("gives the MUC service an archive in every new room, and room for many occupants", () => {
    const muc = read({ ...SETUP, maxOccupants: 3000 }).modules.mod_muc;
    assert.deepEqual(muc?.hosts, ["conference.example.org"]);
    assert.equal(muc?.max_users, 3000);
    assert.deepEqual(muc?.default_room_options, { mam: true, max_users: 3000 });
    assert.deepEqual(read(SETUP).modules.mod_mam, {});
  });

  it("leaves the archive out when asked", () => {
    const file = read({ ...SETUP, muc: { archive: false } });
    assert.equal(file.modules.mod_mam, undefined);
    assert.deepEqual(file.modules.mod_muc?.default_room_options, { mam: false, max_users: 1000 });
  });

  it("grants contacts (XEP-0356: roster set, users' presence) only to the bridges that want them", () => {
    const file = read({
      ...SETUP,
      components: [
        { domain: "discord.example.org", secret: "first-secret-0123" },
        { domain: "matrix.example.org", secret: "second-secret-4567", rosterPrivilege: false },
      ],
    });
    assert.deepEqual(file.acl[EJABBERD_CONTACTS_RULE], { server: ["discord.example.org"] });
    assert.deepEqual(file.access_rules[EJABBERD_CONTACTS_RULE], [{ allow: EJABBERD_CONTACTS_RULE }]);
    assert.deepEqual(file.modules.mod_privilege, {
      roster: { set: EJABBERD_CONTACTS_RULE },
      presence: { managed_entity: EJABBERD_CONTACTS_RULE },
    });
    const none = read({ ...SETUP, components: SETUP.components.map((c) => ({ ...c, rosterPrivilege: false })) });
    assert.equal(none.modules.mod_privilege, undefined);
    assert.equal(none.acl[EJABBERD_CONTACTS_RULE], undefined);
  });

  it("keeps any secret intact", () => {
    const secret = `a"b\\c: #d'e\u00e9\u{1F600}{x}[y]`;
    const file = read({ ...SETUP, components: [{ domain: "discord.example.org", secret }] });
    assert.equal(file.listen[0]?.hosts["discord.example.org"]?.password, secret);
  });
});
