import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const IO_MODULES = [
  'pg',
  'pg-pool',
  '@electric-sql/pglite',
  'pino',
  'prom-client',
  'node:fs',
  'node:fs/promises',
  'node:child_process',
  'node:net',
  'node:http',
  'node:worker_threads',
];
/** What sits above the store: the pipeline, the leader's parts, HTTP, the CLI, the daemon. */
const ABOVE_STORE = [
  '../dispatch/*',
  '../controls/*',
  '../http/*',
  '../commands/*',
  '../run/*',
  '../ha/*',
  '../status/*',
  '../lead/*',
  '../worker/*',
  '../daemon.js',
];
/** What a pure module may not import: everything with I/O or state, the store included. */
const ABOVE_PURE = [...ABOVE_STORE, '../store/*', '../state/*', '../runtime/*', '../metrics/*'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'var/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // The layers (docs/development.md). Pure: the schedule maths, the catch-up planner and the
  // snapshot codecs take values and return values; no I/O, no clock, no logger, nothing above.
  {
    files: ['src/schedule/**', 'src/catchup/**', 'src/snapshot/**', 'src/text/**', 'src/import/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: IO_MODULES.map((name) => ({
            name,
            message: 'a pure module does no I/O (see docs/development.md)',
          })),
          patterns: [
            {
              group: [...ABOVE_PURE, '../*.js'],
              message: 'a pure module imports only pure modules and config types (see docs/development.md)',
            },
          ],
        },
      ],
    },
  },
  // The config: read and checked before anything runs; it knows nothing of the store or the daemon.
  {
    files: ['src/config/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // The turn budget: reading a config on a reload gives the event loop its turns.
              group: [...ABOVE_PURE, '../*.js', '!../runtime/turn-budget.js'],
              message: 'the config imports only pure modules (see docs/development.md)',
            },
          ],
        },
      ],
    },
  },
  // The status page's script runs in a browser (src/http/status-page/, joined into the page by
  // src/http/status-page-script.ts): the browser's globals and none of Node's; it imports only its
  // own modules, each by name.
  {
    files: ['src/http/status-page/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        ...Object.fromEntries(Object.keys(globals.node).map((name) => [name, 'off'])),
        ...globals.browser,
      },
    },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\./[\\w-]+\\.js$)',
              message: 'the status page imports only its own modules, as ./name.js (status-page-script.ts)',
            },
          ],
        },
      ],
    },
  },
  // The store: SQL over a connection; it knows nothing of who calls it.
  {
    files: ['src/store/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ABOVE_STORE,
              message:
                'the store is below the pipeline, HTTP, the CLI and the daemon (see docs/development.md)',
            },
          ],
        },
      ],
    },
  },
);
