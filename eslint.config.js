// Lint: TypeScript rules plus the import boundaries of DESIGN.md:
//   protocol <- runtime-adapters <- agent,   protocol <- hub,
// the layers inside hub/ (HUB_LAYERS below, bottom first), and the folders inside agent/ and
// runtime-adapters/: in agent/, host/ imports no other agent folder, pods/, link/ and network/ do not import
// each other (agent.ts wires them; what they share is at the agent root: desired-set.ts, pod-sandbox.ts,
// state-file.ts, errors.ts), sim/ (the fleet simulator) speaks through link/ and host/ but does not import
// pods/ or network/, and no folder imports the composition root (agent.ts, main.ts, cli.ts); in
// runtime-adapters/, the contract and the shared parts are at the root and no adapter folder imports another.
import tseslint from 'typescript-eslint';

const TOP_LEVEL_RULE = 'see DESIGN.md: protocol <- runtime-adapters <- agent, protocol <- hub';
const patternFor = (from, dir, why) => ({
  group: [`**/${dir}/*`, `**/${dir}/**`, `../${dir}/*`, `../../${dir}/*`],
  message: `${from}/ must not import ${dir}/ (${why})`,
});
const topLevelPatterns = (from, forbidden) => forbidden.map((dir) => patternFor(from, dir, TOP_LEVEL_RULE));
const restrict = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const boundary = (from, forbidden) => restrict([`${from}/**/*.ts`], topLevelPatterns(from, forbidden));

/**
 * The hub's layers, bottom first. A folder may import protocol/ and the layers below its own, never
 * a folder of its own layer or above (ESLint applies the last matching config per rule, so each
 * folder's rule repeats the top-level boundary of hub/). '.' is the hub's root files: hub.ts (the
 * composition root), disk-monitor.ts, hub-errors.ts. The CLI speaks HTTP to a hub; it imports no
 * hub folder, only hub.ts to run a hub in-process (`drover hub`, `drover up`).
 */
export const HUB_LAYERS = [
  ['store', 'pki', 'audit', 'images', 'bundles'],
  ['secrets', 'cache'],
  ['auth', 'broker', 'events', 'leases', 'registry', 'placement', 'admission'],
  ['scheduler', 'controllers', 'fleet'],
  ['api'],
  ['.'],
  ['cli'],
];
const HUB_TOP_LEVEL_FORBIDDEN = ['agent', 'runtime-adapters'];
const hubLayerRules = () => {
  const folders = HUB_LAYERS.flat().filter((f) => f !== '.');
  const order = 'hub layers, bottom first: ' + HUB_LAYERS.map((l) => l.join(', ')).join(' <- ');
  const rules = [];
  const rootFiles = {
    group: ['**/hub.js', '**/disk-monitor.js', '**/hub-errors.js'],
    message: "hub's root files (hub.ts, the composition root) sit above every folder but the CLI; see ARCHITECTURE.md",
  };
  HUB_LAYERS.forEach((layer, index) => {
    const notBelow = HUB_LAYERS.slice(index).flat().filter((f) => f !== '.');
    const belowRoot = index < HUB_LAYERS.findIndex((l) => l.includes('.'));
    for (const folder of layer) {
      if (folder === '.') continue;
      const from = `hub/${folder}`;
      const forbidden = notBelow.filter((f) => f !== folder);
      rules.push(
        restrict([`${from}/**/*.ts`], [
          ...topLevelPatterns(from, HUB_TOP_LEVEL_FORBIDDEN),
          ...forbidden.map((dir) => patternFor(from, dir, `${order}; see ARCHITECTURE.md`)),
          ...(belowRoot ? [{ ...rootFiles, message: `${from}/ must not import ${rootFiles.message}` }] : []),
        ]),
      );
    }
  });
  // hub's root files may import every folder but the CLI
  rules.push(restrict(['hub/*.ts'], [...topLevelPatterns('hub', HUB_TOP_LEVEL_FORBIDDEN), patternFor('hub', 'cli', `${order}; see ARCHITECTURE.md`)]));
  // the CLI: no hub folder at all
  const cli = rules.find((r) => r.files[0] === 'hub/cli/**/*.ts');
  cli.rules['no-restricted-imports'][1].patterns = [
    ...topLevelPatterns('hub/cli', HUB_TOP_LEVEL_FORBIDDEN),
    ...folders.filter((f) => f !== 'cli').map((dir) => patternFor('hub/cli', dir, 'the CLI talks to the hub over HTTP; it may import protocol/ and hub.ts only')),
  ];
  return rules;
};

/**
 * The folders inside agent/ and runtime-adapters/, one job each: `from` (e.g. agent/link) may not import its
 * `siblings`, nor what its top-level folder may not import (`outer`, repeated: the last matching config
 * wins), nor anything in `extra`.
 */
const innerFolder = ({ from, outer, siblings, extra = [], why }) => {
  const top = from.split('/')[0];
  const sibling = (dir) => ({ group: [`**/${dir}/*`, `**/${dir}/**`], message: `${from}/ must not import ${top}/${dir}/ (${why})` });
  return restrict([`${from}/**/*.ts`], [...topLevelPatterns(top, outer), ...siblings.map(sibling), ...extra]);
};
const AGENT_FOLDERS = 'one folder per job; agent.ts wires them, and what both need is at the agent root (desired-set.ts, pod-sandbox.ts, state-file.ts, errors.ts)';
const AGENT_COMPOSITION_ROOT = {
  group: ['../agent.js', '../../agent.js', '../main.js', '../../main.js', '../cli.js', '../../cli.js'],
  message: "agent/ folders must not import the agent's composition root (agent.ts, main.ts and cli.ts sit on top and wire them)",
};
const agentFolder = (from, siblings) => innerFolder({ from, outer: ['hub'], siblings, extra: [AGENT_COMPOSITION_ROOT], why: AGENT_FOLDERS });
const ADAPTERS = 'each adapter stands alone on the ContainerRuntime contract; what they share is at the runtime-adapters root';
const adapterFolder = (from, siblings) => innerFolder({ from, outer: ['agent', 'hub'], siblings, why: ADAPTERS });

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
  agentFolder('agent/host', ['link', 'pods', 'network', 'sim']),
  agentFolder('agent/pods', ['link', 'network', 'sim']),
  agentFolder('agent/link', ['pods', 'network', 'sim']),
  agentFolder('agent/network', ['link', 'pods', 'host', 'sim']),
  agentFolder('agent/sim', ['pods', 'network']),
  adapterFolder('runtime-adapters/docker', ['containerd', 'fake']),
  adapterFolder('runtime-adapters/containerd', ['docker', 'fake']),
  adapterFolder('runtime-adapters/fake', ['docker', 'containerd']),
  boundary('hub', HUB_TOP_LEVEL_FORBIDDEN),
  ...hubLayerRules(),
  { files: ['hub/cli/**/*.ts', 'test/**/*.ts', 'install/**/*.ts'], rules: { 'no-console': 'off' } },
);
