// ESLint for `npm run lint`; formatting is prettier's (.prettierrc.json), so no style rules here.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['dist/', 'coverage/', 'embedded-db/', '.stoa-db/', 'data/'],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,

  // TypeScript: server/, handlers/, models/, test/, scripts/, typed against tsconfig.json.
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A listener declared before the server it is handed to, and assigned once the server exists.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },

  // The moderation console and the web app: plain browser ES modules served as they are (server/console/, server/web/, server/ui/).
  {
    files: ['server/console/**/*.js', 'server/web/**/*.js', 'server/ui/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },

  // Node programs in JavaScript: the database build script, the OpenAPI validator child, root configs.
  {
    files: ['scripts/**/*.js', '*.js', '*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      'no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },

  // The server logs through pino (server/logger.ts); tests, scripts/ and test/bench may print, and so
  // may the entry points, for the one line that says why the process could not start.
  {
    files: ['server/**', 'handlers/**'],
    ignores: ['server/main.ts', 'server/db-main.ts'],
    rules: { 'no-console': 'error' },
  },

  // Tests build hostile and partial inputs on purpose.
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  prettier,
);
