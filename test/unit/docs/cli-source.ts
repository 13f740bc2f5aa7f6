// What the command line accepts, read from its source: the options (OPTIONS),
// those every command takes (COMMON) and those each command takes besides
// (OPTIONS_OF) in src/commands/command-line.ts, which exports none of them.
// Read with the TypeScript parser, so a reformatted file reads the same; the
// CLI test checks the reading against the command line's own refusals.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT } from './markdown.js';

export interface OptionSpec {
  /** The long name: `--config`; a one-letter name is also its short form (`-n`). */
  name: string;
  short?: string;
  type: 'string' | 'boolean';
}

export interface CliSource {
  options: Map<string, OptionSpec>;
  common: string[];
  optionsOf: Map<string, string[]>;
}

const FILE = path.join(ROOT, 'src/commands/command-line.ts');

export function readCliSource(): CliSource {
  const source = ts.createSourceFile(FILE, fs.readFileSync(FILE, 'utf8'), ts.ScriptTarget.ES2022, true);
  const initializers = new Map<string, ts.Expression>();
  source.forEachChild((node) => {
    if (!ts.isVariableStatement(node)) return;
    for (const d of node.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && d.initializer) initializers.set(d.name.text, unwrap(d.initializer));
    }
  });
  const get = (name: string): ts.Expression => {
    const e = initializers.get(name);
    if (!e) throw new Error(`${FILE}: no top-level const ${name}`);
    return e;
  };

  const options = new Map<string, OptionSpec>();
  for (const [name, value] of objectEntries(get('OPTIONS'))) {
    const spec = new Map(objectEntries(value).map(([k, v]) => [k, literal(v)]));
    const short = spec.get('short');
    options.set(name, {
      name,
      ...(typeof short === 'string' ? { short } : {}),
      type: spec.get('type') === 'boolean' ? 'boolean' : 'string',
    });
  }
  const common = stringArray(get('COMMON'));
  const optionsOf = new Map(objectEntries(get('OPTIONS_OF')).map(([k, v]) => [k, stringArray(v)]));
  return { options, common, optionsOf };
}

/** How an option is written on the command line: `--name`, or `-n` for a one-letter name. */
export function flag(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

function unwrap(e: ts.Expression): ts.Expression {
  while (ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e))
    e = e.expression;
  return e;
}

function objectEntries(e: ts.Expression): Array<[string, ts.Expression]> {
  e = unwrap(e);
  if (!ts.isObjectLiteralExpression(e)) throw new Error(`expected an object literal at ${e.getText()}`);
  return e.properties.map((p) => {
    if (!ts.isPropertyAssignment(p)) throw new Error(`unexpected property ${p.getText()}`);
    const key = ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) ? p.name.text : p.name.getText();
    return [key, unwrap(p.initializer)];
  });
}

function stringArray(e: ts.Expression): string[] {
  e = unwrap(e);
  if (!ts.isArrayLiteralExpression(e)) throw new Error(`expected an array literal at ${e.getText()}`);
  return e.elements.map((x) => {
    const v = literal(x);
    if (typeof v !== 'string') throw new Error(`expected a string at ${x.getText()}`);
    return v;
  });
}

function literal(e: ts.Expression): string | boolean | undefined {
  e = unwrap(e);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
  return undefined;
}
