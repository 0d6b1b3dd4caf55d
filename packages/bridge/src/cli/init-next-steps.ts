/**
 * What `parley init` prints when it is done: the files written, and the
 * steps left, in order (the server, the rooms, the network, the doctor, the
 * bridge). Secrets appear only by their first characters.
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { EJABBERD_FILE_NAME, PROSODY_FILE_NAME } from "@parley/xmpp-setup";
import type { InitAnswers } from "./init-answers.ts";
import type { InitFile } from "./init-connector.ts";
import { type PlannedBridge, snippetNameOf } from "./init-files.ts";
import { secretHint } from "./init-secrets.ts";

/** The systemd unit shipped with the package (the same relative place from src/cli and dist/cli). */
export const SYSTEMD_UNIT = fileURLToPath(new URL("../../examples/parley@.service", import.meta.url));

function serverSteps(answers: InitAnswers, snippet: string): string[] {
  if (answers.server === "prosody") {
    return [
      `Copy ${snippet} into /etc/prosody/conf.d/ (Debian's prosody.cfg.lua includes every file there; elsewhere copy it next to prosody.cfg.lua and add the line  Include "${PROSODY_FILE_NAME}"  to it), owned by root and readable by the prosody group (chown root:prosody, chmod 640). Remove any other Component "${answers.mucDomain}" from the configuration. Prosody 0.12 takes mod_muc_moderation from the prosody-modules package (apt-get install prosody-modules). Then restart Prosody: systemctl restart prosody`,
    ];
  }
  const target = `/etc/ejabberd/${EJABBERD_FILE_NAME}`;
  return [
    `Copy ${snippet} to ${target} (readable by the ejabberd user only: chown ejabberd, chmod 600), add the line  include_config_file: ${target}  to /etc/ejabberd/ejabberd.yml, and take mod_muc and mod_mam out of ejabberd.yml (ejabberd refuses a module configured twice; move any option of yours into the copy). Then restart ejabberd: systemctl restart ejabberd`,
  ];
}

export function nextSteps(input: {
  readonly answers: InitAnswers;
  readonly bridges: readonly PlannedBridge[];
  readonly files: readonly InitFile[];
  readonly paths: readonly string[];
  readonly dir: string;
}): string {
  const { answers, bridges, files, paths } = input;
  /** A written file as the operator types it from here. */
  const shown = (name: string) => {
    const path = paths[files.findIndex((f) => f.name === name)] ?? name;
    const here = relative(process.cwd(), path);
    return here === "" || here.startsWith("..") ? path : here;
  };
  const snippetName = snippetNameOf(answers.server);
  const width = Math.max(...files.map((f) => f.name.length));
  const out = [`Wrote in ${input.dir} (readable by you only):`];
  for (const f of files) out.push(`  ${f.name.padEnd(width)}  ${f.what}`);
  for (const b of bridges) {
    out.push(
      `The ${b.network} bridge's component secret (${secretHint(b.secret)}) is in ${b.configName} and ${snippetName}.`,
    );
  }
  const steps = [...serverSteps(answers, shown(snippetName))];
  const domains = bridges.map((b) => b.componentDomain).join(" and ");
  steps.push(
    `In each room you link, give ${domains} the admin affiliation (a room the bridge creates is its own): it moderates there, in the network's name, what is deleted on the network.`,
  );
  for (const b of bridges) {
    for (const v of b.result.environment ?? []) {
      steps.push(
        `Set ${v.name} in the ${b.network} bridge's environment (as a service: a line ${v.name}=... in /etc/parley/${b.network}.env, chmod 600): ${v.what}.`,
      );
    }
    steps.push(...(b.result.nextSteps ?? []));
  }
  for (const b of bridges) {
    const config = shown(b.configName);
    steps.push(`Check the ${b.network} bridge's setup: parley doctor --config ${config}`);
    steps.push(
      `Run it: parley --config ${config}; or as a service: copy ${SYSTEMD_UNIT} to /etc/systemd/system/, ${config} to /etc/parley/${b.network}.yaml, then systemctl enable --now parley@${b.network}`,
    );
  }
  out.push("", "Next:");
  for (const [i, step] of steps.entries()) out.push(`  ${i + 1}. ${step}`);
  return `${out.join("\n")}\n`;
}
