// The daemons (and workers) of one chaos run: spawned from one config, each
// known by its node id, killed on purpose or not. An exit we did not cause is a crash.
import { type DaemonProcess, type LogLine, startDaemon } from '../test/support/daemon.js';

export const logTimeMs = (l: LogLine): number =>
  typeof l.time === 'number' ? l.time : Date.parse(String(l.time));

export class DaemonGroup {
  readonly nodes = new Map<string, DaemonProcess>();
  /** Every process ever spawned, for their logs. */
  readonly all: DaemonProcess[] = [];
  readonly crashes: string[] = [];
  private readonly expected = new Set<DaemonProcess>();

  constructor(
    private readonly config: string,
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  /** Starts `cronkeeper run` as `nodeId`, or with `o`, another command of the CLI (`worker --pool NAME`). */
  spawn(nodeId: string, o: { command?: 'run' | 'worker'; args?: string[] } = {}): DaemonProcess {
    const d = startDaemon(this.config, { CRONKEEPER_NODE_ID: nodeId, ...this.env }, o);
    this.nodes.set(nodeId, d);
    this.all.push(d);
    void d.exited.then((code) => {
      if (this.expected.has(d)) return;
      const last = d.logs.slice(-3).map((l) => l.msg);
      this.crashes.push(`${nodeId} exited ${code}: ${d.stderr().slice(-300)} ${JSON.stringify(last)}`);
    });
    return d;
  }

  /** Sends `signal` to the node; it is expected to exit. */
  async kill(nodeId: string, signal: NodeJS.Signals): Promise<number | string> {
    const d = this.nodes.get(nodeId);
    if (!d) throw new Error(`no node ${nodeId}`);
    this.expected.add(d);
    d.proc.kill(signal);
    return d.exited;
  }

  /** Every log line of every process, in no particular order. */
  logs(predicate: (l: LogLine) => boolean): LogLine[] {
    return this.all.flatMap((d) => d.logs.filter(predicate));
  }

  /** Kills whatever still runs (cleanup). */
  async killAll(): Promise<void> {
    for (const d of this.nodes.values()) {
      this.expected.add(d);
      d.proc.kill('SIGKILL');
    }
    await Promise.all([...this.nodes.values()].map((d) => d.exited));
  }
}
