// Layer boundaries are enforced here rather than remembered:
//   core    pure TypeScript, runs in Node: no React, zustand, DOM, workers, state or ui
//   workers thin entries over core: no state or ui
//   state   zustand slices and actions: no ui
//   ui      React components: reach workers only through state actions
// and each src/core/<folder> is entered through its index.ts (src/lint/core-entry-points.js).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { coreEntryPoints } from './src/lint/core-entry-points.js';

const layer = (name) => [`**/${name}/**`, `**/${name}`];

export const coreRestrictions = {
  paths: [
    { name: 'react', message: 'src/core is pure TypeScript: no React.' },
    { name: 'react-dom', message: 'src/core is pure TypeScript: no React.' },
    { name: 'zustand', message: 'src/core is pure TypeScript: state lives in src/state.' },
    { name: 'recharts', message: 'src/core is pure TypeScript: charts live in src/ui.' },
  ],
  patterns: [
    {
      group: [...layer('workers'), ...layer('state'), ...layer('ui')],
      message: 'src/core may not import workers, state or ui.',
    },
    { group: ['react-dom/*', 'zustand/*'], message: 'src/core is pure TypeScript.' },
  ],
};

const domGlobals = [
  'window',
  'document',
  'navigator',
  'localStorage',
  'sessionStorage',
  'postMessage',
  'importScripts',
  'self',
].map((name) => ({
  name,
  message: `src/core runs in Node: no ${name}. Pass what you need in as an argument.`,
}));

export default tseslint.config(
  {
    ignores: [
      'dist',
      'dist-harness',
      'node_modules',
      'test-artifacts',
      'test-results',
      'playwright-report',
      'bench-results',
      '.venv-py',
      'public',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.browser, ...globals.node },
      ecmaVersion: 2022,
      sourceType: 'module',
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Each src/core folder is reached from outside through its index.ts; tests may reach inside.
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'src/**/test-support/**'],
    plugins: { studio: { rules: { 'core-entry-points': coreEntryPoints } } },
    rules: { 'studio/core-entry-points': 'error' },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', coreRestrictions],
      'no-restricted-globals': ['error', ...domGlobals],
    },
  },
  {
    files: ['src/workers/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...layer('state'), ...layer('ui'), 'react', 'zustand'],
              message: 'Workers are thin entries over src/core.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/state/**/*.ts', 'src/state/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: layer('ui'), message: 'src/state may not import ui.' }] },
      ],
    },
  },
  {
    files: ['src/ui/**/*.ts', 'src/ui/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: layer('workers'), message: 'src/ui reaches workers only through src/state actions.' },
            {
              group: ['**/*.worker', '**/*.worker.ts', '*?worker'],
              message: 'src/ui reaches workers only through src/state actions.',
            },
          ],
        },
      ],
    },
  },
);
