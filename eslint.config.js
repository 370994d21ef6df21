// Lint rules that guard Temporal correctness: a floating promise in a workflow silently drops
// work, and type-only imports keep activity implementations out of the workflow bundle.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.rollout/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code must stay deterministic: no Node built-ins, no I/O, no environment.
    files: ['workflows/**/*.ts'],
    rules: {
      // Activities only by type: their implementations must never be bundled into workflow code.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', ...builtinModules.flatMap((name) => [name, `${name}/*`])],
              message: 'workflow code is deterministic: no Node built-ins',
            },
            {
              group: ['../activities/*', '../activities'],
              message: 'import activities by type only',
              allowTypeImports: true,
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        'process',
        'setTimeout',
        'setInterval',
        'setImmediate',
        'Buffer',
        'require',
        '__dirname',
        '__filename',
      ],
    },
  },
);
