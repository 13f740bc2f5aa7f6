// The status page's script: its modules (src/http/status-page/*.js, ES
// modules that ESLint, Prettier and tsc see) joined into one classic script
// for the page to carry inline. Inline, because the daemon's CSP lets the
// page load nothing from the server but `status`, and because a page opened
// with ?token= could not fetch a module without putting the token in its URL.
//
// Each module keeps its own scope (a function run once, in import order,
// dependencies first); an import becomes a read of what the imported module
// returned. Only the forms the page's modules use are understood —
// `import { a, b as c } from './x.js'` and `export function | const | class` —
// and anything else throws when the page is put together, at the daemon's
// start (and in test/unit/http/status-page.test.ts before that).
import fs from 'node:fs';

/** The registry of the joined modules, by file name; no module may use this name. */
const REGISTRY = 'pageModules';

const IMPORT = /^import\s*\{([^}]*)\}\s*from\s*'\.\/([\w-]+\.js)';?[ \t]*$/gm;
const EXPORT = /^export\s+(function\*?|async\s+function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)/gm;
/** An import or export the two patterns above did not take. */
const OTHER_MODULE_SYNTAX = /^\s*(import|export)\b/m;

/** The modules `entry` imports, itself last, joined into one script (to go inside a `<script>`). */
export function joinPageScript(dir: URL, entry: string): string {
  const joined: string[] = [];
  const visiting = new Set<string>();
  const done = new Set<string>();

  const visit = (file: string, importedBy: string | undefined): void => {
    if (done.has(file)) return;
    if (visiting.has(file)) throw pageError(file, `imported again by ${importedBy} while it loads (a cycle)`);
    visiting.add(file);
    const text = fs.readFileSync(new URL(file, dir), 'utf8');
    if (new RegExp(`\\b${REGISTRY}\\b`).test(text)) throw pageError(file, `uses the name ${REGISTRY}`);
    const exported: string[] = [];
    const body = text
      .replace(IMPORT, (_, names: string, source: string) => {
        visit(source, file);
        return `const { ${importedNames(names)} } = ${REGISTRY}[${JSON.stringify(source)}];`;
      })
      .replace(EXPORT, (_, kind: string, name: string) => {
        // A destructured const would be a snapshot: an exported let or var would not stay live.
        if (kind === 'let' || kind === 'var') throw pageError(file, `exports ${kind} ${name}`);
        exported.push(name);
        return `${kind} ${name}`;
      });
    const other = OTHER_MODULE_SYNTAX.exec(body);
    if (other) {
      throw pageError(
        file,
        `has an ${other[1]} other than "import { … } from './x.js'" or "export function|const|class"`,
      );
    }
    joined.push(
      `${REGISTRY}[${JSON.stringify(file)}] = (() => {\n${body}\nreturn { ${exported.join(', ')} };\n})();\n`,
    );
    visiting.delete(file);
    done.add(file);
  };

  visit(entry, undefined);
  return `(() => {\n'use strict';\nconst ${REGISTRY} = {};\n${joined.join('')}})();\n`;
}

/** `a, b as c` as a destructuring: `a, b: c`. */
function importedNames(names: string): string {
  return names
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '')
    .map((n) => n.replace(/^([\w$]+)\s+as\s+([\w$]+)$/, '$1: $2'))
    .join(', ');
}

function pageError(file: string, what: string): Error {
  return new Error(`status page: src/http/status-page/${file} ${what}`);
}
