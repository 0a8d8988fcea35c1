// Lint: TypeScript rules plus the import boundaries of DESIGN.md:
//   protocol <- runtime-adapters <- agent,   protocol <- hub.
// Inside agent/, one folder per job: host/ imports no other agent folder; pods/ and link/ do not import each
// other (agent.ts wires them; what both need is at the agent root: desired-set.ts, state-file.ts,
// errors.ts); no folder imports the composition root (agent.ts, main.ts, cli.ts). Inside runtime-adapters/,
// the contract and the shared parts are at the root and no adapter folder imports another.
import tseslint from 'typescript-eslint';

const outward = (from, dir) => ({
  group: [`**/${dir}/*`, `**/${dir}/**`, `../${dir}/*`, `../../${dir}/*`],
  message: `${from}/ must not import ${dir}/ (see DESIGN.md: protocol <- runtime-adapters <- agent, protocol <- hub)`,
});

const boundary = (from, forbidden) => ({
  files: [`${from}/**/*.ts`],
  rules: { 'no-restricted-imports': ['error', { patterns: forbidden.map((dir) => outward(from, dir)) }] },
});

/**
 * The arrows inside a top-level folder: `from` (e.g. agent/link) may not import its `siblings`, nor what its
 * top-level folder may not import (`outer`), nor anything in `extra`. A file gets one no-restricted-imports
 * setting (the last config that matches it wins), hence the top-level bans repeated here.
 */
const innerBoundary = ({ from, outer, siblings, extra = [], why }) => {
  const top = from.split('/')[0];
  const sibling = (dir) => ({ group: [`**/${dir}/*`, `**/${dir}/**`], message: `${from}/ must not import ${top}/${dir}/ (${why})` });
  return {
    files: [`${from}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: [...outer.map((dir) => outward(top, dir)), ...siblings.map(sibling), ...extra] }] },
  };
};

const AGENT_FOLDERS = "one folder per job; agent.ts wires them, and what both need is at the agent root (desired-set.ts, state-file.ts, errors.ts)";
const AGENT_COMPOSITION_ROOT = {
  group: ['../agent.js', '../../agent.js', '../main.js', '../../main.js', '../cli.js', '../../cli.js'],
  message: "agent/ folders must not import the agent's composition root (agent.ts, main.ts and cli.ts sit on top and wire them)",
};
const agentFolder = (from, siblings) => innerBoundary({ from, outer: ['hub'], siblings, extra: [AGENT_COMPOSITION_ROOT], why: AGENT_FOLDERS });
const ADAPTERS = 'each adapter stands alone on the ContainerRuntime contract; what they share is at the runtime-adapters root';
const adapterFolder = (from, siblings) => innerBoundary({ from, outer: ['agent', 'hub'], siblings, why: ADAPTERS });

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
  agentFolder('agent/host', ['link', 'pods']),
  agentFolder('agent/pods', ['link']),
  agentFolder('agent/link', ['pods']),
  adapterFolder('runtime-adapters/docker', ['containerd', 'fake']),
  adapterFolder('runtime-adapters/containerd', ['docker', 'fake']),
  adapterFolder('runtime-adapters/fake', ['docker', 'containerd']),
  { files: ['hub/cli/**/*.ts', 'test/**/*.ts', 'install/**/*.ts'], rules: { 'no-console': 'off' } },
);
