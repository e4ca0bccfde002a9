// Type-checked lint: no floating promises, no console outside the CLI's output module, and imports
// that respect module boundaries (a folder is a module; others import only its index.ts).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const modules = [
  'core',
  'client',
  'mesh',
  'router',
  'scanner',
  'integrations',
  'store',
  'api',
  'node',
  'cli',
];

/** Which modules each module may import (STYLE.md rule 15). */
const allowed = {
  core: [],
  client: ['core'],
  mesh: ['core'],
  router: ['core'],
  scanner: ['core'],
  integrations: ['core'],
  store: ['core'],
  api: ['core'],
  node: ['core', 'client', 'mesh', 'router', 'scanner', 'integrations', 'store', 'api'],
  cli: ['core', 'client', 'node', 'router'],
};

function boundaryRules(mod) {
  const forbidden = modules.filter((m) => m !== mod && !allowed[mod].includes(m));
  const patterns = [
    // other modules only through their index.ts
    ...modules
      .filter((m) => m !== mod)
      .map((m) => ({
        // core's errors and their HTTP mapping may be imported directly: they import no zod, and the
        // light read path (src/client, `atmosphere status`) must start without loading it
        group: [
          `../${m}/*`,
          `!../${m}/index.js`,
          ...(m === 'core' ? ['!../core/errors.js', '!../core/http-errors.js'] : []),
        ],
        message: `import ${m} only through ../${m}/index.js`,
      })),
    ...forbidden.map((m) => ({
      group: [`../${m}/**`, `../${m}`],
      message: `${mod} must not depend on ${m}`,
    })),
  ];
  const rules = { 'no-restricted-imports': ['error', { patterns }] };
  if (mod === 'core') {
    rules['no-restricted-imports'] = [
      'error',
      {
        patterns: [
          ...patterns,
          {
            group: [
              'node:*',
              'libp2p',
              '@libp2p/*',
              'better-sqlite3',
              'hono',
              'hono/*',
              '@hono/*',
              'pino',
              'ws',
            ],
            message: 'core is pure: no I/O, no platform libraries',
          },
        ],
      },
    ];
  }
  return { files: [`src/${mod}/**/*.ts`], ignores: ['src/**/*.test.ts'], rules };
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'bench/results/**',
      'ui/dist/**',
      'ui/dist-phone/**',
      '.tmp/**',
      'release/**',
      'test-artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { project: ['./tsconfig.eslint.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  ...modules.map(boundaryRules),
  {
    files: ['src/cli/output.ts', 'scripts/**', 'bench/**', 'bin/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // The web panel (ui/) is a browser app with its own tsconfig (JSX, DOM).
    files: ['ui/**/*.ts', 'ui/**/*.tsx'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { project: ['./ui/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['src/**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts', 'ui/**/*.test.ts', 'ui/**/*.test.tsx'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
