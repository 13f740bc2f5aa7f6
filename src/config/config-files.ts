// The text of each config file, read once per load: the quick reading of a
// config and, when it finds a problem, the full one that reports it must see
// the same bytes, even if the file changes in between.
import { open } from 'node:fs/promises';
import { unsafeConfigFile } from './file-permissions.js';
import type { ConfigProblem } from './types.js';

/** A file's text, or the problem that kept it from being read. */
export type FileText = { text: string; problem?: undefined } | { text?: undefined; problem: ConfigProblem };

export class ConfigFiles {
  private readonly texts = new Map<string, Promise<FileText>>();

  /** `insecure`: skip the ownership and mode checks (see file-permissions.ts). */
  constructor(private readonly insecure: boolean) {}

  /** The text of `file` (absolute). Never rejects. */
  read(file: string): Promise<FileText> {
    let text = this.texts.get(file);
    if (!text) {
      text = readText(file, this.insecure);
      this.texts.set(file, text);
    }
    return text;
  }
}

/** Unless `insecure`, a file others could have written is refused. */
async function readText(file: string, insecure: boolean): Promise<FileText> {
  try {
    // Check the file that is read, not a path that could be swapped in between.
    const handle = await open(file, 'r');
    try {
      const unsafe = insecure ? undefined : unsafeConfigFile(await handle.stat(), process.getuid?.());
      if (unsafe) return { problem: fileProblem(file, unsafe) };
      return { text: await handle.readFile('utf8') };
    } finally {
      await handle.close();
    }
  } catch (err) {
    return { problem: fileProblem(file, `cannot read config file: ${(err as Error).message}`) };
  }
}

function fileProblem(file: string, message: string): ConfigProblem {
  return { file, line: 1, column: 1, path: '', message };
}
