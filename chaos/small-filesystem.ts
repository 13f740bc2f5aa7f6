// A small ext4 filesystem in a file, loop-mounted, for the storage faults that
// arrive while the daemon runs (chaos/storage-faults-running.ts):
//   fill()          another file takes every free block: the store's next
//                   block allocation fails with ENOSPC, as on a full disk
//   failReadOnly()  a filesystem error (ext4's trigger_fs_error) with
//                   errors=remount-ro: the kernel turns the filesystem
//                   read-only under open files, as it does when a disk fails.
//                   (chmod does not do it: PGlite keeps its files open; a
//                   read-only remount is refused while files are open for writing.)
// Needs root, loop devices and e2fsprogs/util-linux.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface SmallFilesystem {
  /** The mount point. */
  readonly dir: string;
  /** Fills every free block; returns the bytes taken. */
  fill(): number;
  unfill(): void;
  failReadOnly(): void;
  /** What an operator does after a filesystem error: unmount, e2fsck -fy, mount again; returns what e2fsck fixed. */
  repair(): string;
  destroy(): void;
}

const TOOLS = ['mkfs.ext4', 'e2fsck', 'mount', 'umount', 'findmnt', 'fsfreeze', 'fallocate'];

/** Why a small filesystem cannot be made here, or undefined when it can. */
export function smallFilesystemUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (a loop-mounted filesystem)';
  if (!fs.existsSync('/dev/loop-control')) return 'no loop devices (/dev/loop-control)';
  const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  return missing.length > 0 ? `missing ${missing.join(', ')}` : undefined;
}

function run(cmd: string, args: string[], okStatus: readonly number[] = [0]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || !okStatus.includes(r.status ?? -1))
    throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status}`} ${r.stderr}`.trim());
  return `${r.stdout}${r.stderr}`;
}

/** Makes a `sizeMb` ext4 image under `parent` and mounts it (errors=remount-ro) at `parent`/fs. */
export function mountSmallFilesystem(parent: string, sizeMb = 128): SmallFilesystem {
  const image = path.join(parent, 'fs.img');
  const dir = path.join(parent, 'fs');
  const filler = path.join(dir, 'filler');
  fs.writeFileSync(image, '');
  fs.truncateSync(image, sizeMb * 1024 * 1024);
  // -m 0: no blocks reserved for root, so "full" is full for every user.
  run('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
  fs.mkdirSync(dir, { recursive: true });
  const mount = () => {
    run('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
    fs.chmodSync(dir, 0o755);
  };
  mount();
  let mounted = true;
  const device = () => path.basename(run('findmnt', ['-no', 'SOURCE', dir]).trim());

  return {
    dir,
    fill() {
      const { bavail, bsize } = fs.statfsSync(dir);
      const free = Number(bavail) * Number(bsize);
      // fallocate takes most of it without writing (should the store have grown
      // meanwhile and it fail, the writes below take it all); small writes take the rest.
      if (free > 2 * 1024 * 1024) spawnSync('fallocate', ['-l', String(free - 1024 * 1024), filler]);
      const fd = fs.openSync(filler, 'a');
      let taken = fs.fstatSync(fd).size;
      try {
        for (const chunk of [65_536, 4_096, 1_024, 1]) {
          const buf = Buffer.alloc(chunk);
          for (;;) {
            try {
              taken += fs.writeSync(fd, buf);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
              break;
            }
          }
        }
      } finally {
        fs.closeSync(fd);
      }
      return taken;
    },
    unfill() {
      fs.rmSync(filler, { force: true });
    },
    failReadOnly() {
      // Frozen first, so everything written so far is on the disk (as after a
      // long run), and the error cuts between two writes, not through one.
      run('fsfreeze', ['-f', dir]);
      try {
        fs.writeFileSync(`/sys/fs/ext4/${device()}/trigger_fs_error`, 'cronkeeper chaos: storage fault');
      } finally {
        run('fsfreeze', ['-u', dir]);
      }
      try {
        fs.writeFileSync(path.join(dir, 'probe'), 'x');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EROFS') return;
        throw err;
      }
      throw new Error(`${dir} is still writable after the filesystem error`);
    },
    repair() {
      run('umount', [dir]);
      mounted = false;
      // 0: clean, 1: errors corrected; anything else is a real problem.
      const out = run('e2fsck', ['-fy', image], [0, 1]);
      mount();
      mounted = true;
      const fixed = out.split('\n').filter((l) => l.endsWith('? yes')).length;
      return `${fixed} problems fixed, ${out.includes('FILE SYSTEM WAS MODIFIED') ? 'modified' : 'clean'}`;
    },
    destroy() {
      if (mounted) {
        const r = spawnSync('umount', [dir]);
        if (r.status !== 0) spawnSync('umount', ['-l', dir]);
        mounted = false;
      }
      fs.rmSync(image, { force: true });
    },
  };
}
