import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layering rules from STYLE.md / DESIGN.md §3, enforced rather than hoped for.
const noEnv = {
  'no-restricted-properties': [
    'error',
    { object: 'process', property: 'env', message: 'Only app/config.server.ts reads process.env; take a Config.' },
  ],
};

const appBoundaries = [
  {
    group: ['**/sandbox/**', '**/sandbox'],
    message: 'app/ never imports the sandbox: point a store at its URL instead.',
  },
  { group: ['**/test/**'], message: 'app/ never imports test code.' },
];

export default tseslint.config(
  { ignores: ['build/**', 'public/build/**', 'node_modules/**', 'data/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      ...noEnv,
    },
  },
  {
    files: ['app/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: appBoundaries }] },
  },
  {
    files: ['app/routes/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...appBoundaries,
            {
              group: ['**/db/**', '**/db', 'kysely', 'better-sqlite3', 'pg'],
              message: 'Routes never touch SQL: call a domain function.',
            },
            {
              group: ['~/iamport/*', '**/iamport/*'],
              message: 'Routes never call the gateway: call a domain function.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['app/config.server.ts', 'test/**/*.{ts,tsx}', 'scripts/**', '*.config.{js,ts}'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['scripts/**/*.mjs', 'test/**/*.mjs', '*.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
  },
);
