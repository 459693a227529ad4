import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importRules } from './eslint.layers.js';

export default tseslint.config(
  { ignores: ['node_modules/', '**/dist/', 'coverage/', '.data/', 'bench/results/', 'bench/runs/', 'faults/runs/', 'faults/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Typed rules: a promise nobody awaits or handles is a lost error (or a lost answer).
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, properties: false } }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  // Imports run one way inside src/ (eslint.layers.js): a wrong arrow fails lint.
  ...importRules,
);
