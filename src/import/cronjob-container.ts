// The container of a CronJob's pod as a job's command, directory and
// environment: `command` and `args` as one argv (without `command`, the
// image's ENTRYPOINT ran, which the manifest does not say), literal `env`
// values, and Kubernetes' `$(NAME)` expansion in both. Pure.
import type { Node } from 'yaml';
import type { YamlJob } from './config-yaml.js';
import { type Located, entries, field, items, scalar } from './cronjob-manifest.js';
import type { Note } from './cronjob.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The container's command, directory and environment into `job`, with a note for each of its fields. */
export function readContainer(container: Node, note: Note, error: Note, refuse: Note, job: YamlJob): void {
  const env = new Map<string, string>();
  const unknown = new Set<string>();
  const at = (key: string) => field(container, key);
  for (const item of items(at('env')?.node) ?? []) {
    const here: Located = { node: item, offset: item.range?.[0] ?? 0 };
    const name = scalar(field(item, 'name')?.node);
    const value = field(item, 'value');
    if (typeof name !== 'string') {
      error(here, 'error', 'an env entry whose name is no string: the API server refuses it');
    } else if (field(item, 'valueFrom')) {
      unknown.add(name);
      note(
        here,
        'unsupported',
        `${name} comes from a Secret, ConfigMap or the pod (valueFrom): not known here; set it in env: (or list it in inheritEnv)`,
      );
    } else if (value && typeof scalar(value.node) !== 'string' && scalar(value.node) !== null) {
      error(here, 'error', `${name}: the value is no string (quote it): the API server refuses it`);
    } else if (!ENV_NAME.test(name) || name.startsWith('CRONKEEPER_')) {
      note(
        here,
        'unsupported',
        `'${name}' is no name a job's env takes (letters, digits, _; not CRONKEEPER_*)`,
      );
    } else {
      // A value may name a variable defined above it: $(NAME), as Kubernetes expands it.
      const expanded = expand(String(scalar(value?.node) ?? ''), env, unknown);
      env.set(name, expanded.text);
      note(
        here,
        expanded.unknown ? 'approximated' : 'converted',
        expanded.unknown ? `$(${expanded.unknown}) is not known here and stays as written` : undefined,
      );
    }
  }
  job.env = [...env];
  const command = items(at('command')?.node);
  const args = items(at('args')?.node) ?? [];
  const words = [...(command ?? []), ...args].map((n) => scalar(n));
  for (const [key, here] of entries(container)) {
    const value = scalar(here.node);
    if (key === 'env' || key === 'name') {
      if (key === 'name') note(here, 'skipped');
    } else if (key === 'image') {
      note(
        here,
        'approximated',
        'the command ran in this image; cronkeeper runs it as it is on its own host (install what it needs there, or start it with docker run or podman run)',
      );
    } else if (key === 'workingDir' && typeof value === 'string' && value.startsWith('/')) {
      job.cwd = value;
      note(here, 'converted');
    } else if (key === 'command' || key === 'args') {
      if (!items(here.node) || words.some((w) => typeof w !== 'string'))
        error(here, 'error', `${key} is no list of strings: the API server refuses it`);
      else if (command === undefined)
        refuse(
          here,
          'unsupported',
          "not imported: args without command run after the image's ENTRYPOINT, which the manifest does not say: write the whole command",
        );
      else note(here, 'converted');
    } else if (key === 'envFrom') {
      note(here, 'unsupported', 'variables from a ConfigMap or Secret: not known here; set them in env:');
    } else
      note(
        here,
        'unsupported',
        'a container setting: cronkeeper runs the command as a process on its own host, without it',
      );
  }
  if (command === undefined) {
    if (!at('args'))
      refuse(
        at('image') ?? { node: container, offset: container.range?.[0] ?? 0 },
        'unsupported',
        "not imported: no command: the image's ENTRYPOINT ran, which the manifest does not say",
      );
    return;
  }
  const argv: string[] = [];
  for (const word of words) {
    const expanded = expand(String(word), env, unknown);
    if (expanded.unknown && unknown.has(expanded.unknown)) {
      refuse(
        at('command')!,
        'unsupported',
        `not imported: $(${expanded.unknown}) in the command comes from valueFrom, which is not known here`,
      );
      return;
    }
    argv.push(expanded.text);
  }
  job.command = argv;
}

/** Kubernetes' $(NAME) expansion: a defined variable's value; `$$` a `$`; an unknown name stays as written. */
function expand(
  text: string,
  env: ReadonlyMap<string, string>,
  unknown: ReadonlySet<string>,
): { text: string; unknown?: string } {
  let missing: string | undefined;
  const out = text.replace(/\$\$|\$\(([^)]*)\)/g, (m, name: string | undefined) => {
    if (name === undefined) return '$';
    const value = env.get(name);
    if (value === undefined && (unknown.has(name) || missing === undefined)) missing = name;
    return value ?? m;
  });
  return missing === undefined ? { text: out } : { text: out, unknown: missing };
}
