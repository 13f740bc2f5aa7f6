// Text as words of sh(1): always quoted, for scripts that sh will run, or
// quoted only when it must be, for a command shown to a person.

/** `text` as one word of sh, always single-quoted. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** `text` as one word of sh, quoted only when a shell would read it otherwise. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : shellQuote(text);
}
