// The config defines commands the daemon runs, so, like sshd's StrictModes, a
// config file that someone else could have written is refused: it must be
// owned by root or by the daemon's user, and not writable by group or others.
import type { Stats } from 'node:fs';

/** Why `stats` make a config file unsafe to trust, or undefined when they do not. */
export function unsafeConfigFile(
  stats: Pick<Stats, 'mode' | 'uid'>,
  daemonUid: number | undefined,
): string | undefined {
  const hint = 'it defines the commands cronkeeper runs; fix it, or pass --insecure-config for development';
  if (daemonUid !== undefined && stats.uid !== 0 && stats.uid !== daemonUid) {
    return `config file is owned by uid ${stats.uid}, not by root or the daemon's user (uid ${daemonUid}): ${hint}`;
  }
  if ((stats.mode & 0o022) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
    return `config file is writable by ${stats.mode & 0o020 ? 'group' : 'others'} (mode ${mode}; chmod go-w): ${hint}`;
  }
  return undefined;
}
