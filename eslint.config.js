// Lint: TypeScript rules plus the import boundaries of DESIGN.md:
//   protocol <- runtime-adapters <- agent,   protocol <- hub.
import tseslint from 'typescript-eslint';

const boundary = (from, forbidden) => ({
  files: [`${from}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map((dir) => ({
          group: [`**/${dir}/*`, `**/${dir}/**`, `../${dir}/*`, `../../${dir}/*`],
          message: `${from}/ must not import ${dir}/ (see DESIGN.md: protocol <- runtime-adapters <- agent, protocol <- hub)`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  boundary('protocol', ['runtime-adapters', 'agent', 'hub']),
  boundary('runtime-adapters', ['agent', 'hub']),
  boundary('agent', ['hub']),
  boundary('hub', ['agent', 'runtime-adapters']),
  { files: ['hub/cli/**/*.ts', 'test/**/*.ts', 'install/**/*.ts'], rules: { 'no-console': 'off' } },
);
