// Strings from the store (job output, pause reasons, user and node names,
// errors) are printed by the CLI to a terminal, which acts on control
// characters: an ESC sequence in a job's output could retitle the window,
// rewrite lines already printed or hide text. They are shown escaped instead,
// in a visible form (`\x1b`, `\r`). --json output is JSON, escaped already.

/** C0 controls, DEL, C1 controls, and the bidirectional overrides that reorder what is shown. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** The same without \n and \t, for text shown as several lines. */
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_KEEPING_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/**
 * `text` safe to print to a terminal: each control character as `\n`, `\t`,
 * `\r`, `\xHH` or `\uHHHH`. With `multiline`, newlines and tabs are kept.
 */
export function escapeTerminal(text: string, multiline = false): string {
  return text.replace(multiline ? CONTROL_KEEPING_LINES : CONTROL, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
