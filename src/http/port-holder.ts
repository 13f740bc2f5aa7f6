// Who holds a TCP port this daemon cannot bind: the listening socket's inode
// from /proc/net/tcp{,6}, then the process with that socket among its file
// descriptors. Linux only, and only processes this user may inspect; read once,
// on the first failure, off the event loop's way (async, a yield per process).
import fs from 'node:fs/promises';

/** "pid 123 (node dist/cli.js run …)", or undefined when it cannot be told. */
export async function describePortHolder(port: number): Promise<string | undefined> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await fs.readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN; inode is field 10.
      const local = f[1]?.split(':')[1];
      if (local && parseInt(local, 16) === port && f[3] === '0A' && f[9]) inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  const pids = (await fs.readdir('/proc').catch(() => [] as string[])).filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        const cmd = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''))
          .split('\0')
          .join(' ')
          .trim();
        return `pid ${pid}${cmd ? ` (${cmd.length > 120 ? `${cmd.slice(0, 117)}...` : cmd})` : ''}`;
      }
    }
  }
  return undefined;
}
