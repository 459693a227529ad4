/**
 * The layers of src/, top to bottom, and the import rules that follow from them (CONTRIBUTING.md,
 * "Layout"). A file may import its own folder and any folder on a lower layer, never one above it;
 * a feature never imports another feature; nothing in src/ imports the tooling around it; and the
 * domain (every feature file but its routes, and the kernel) imports no HTTP. ESLint's
 * no-restricted-imports enforces it: a wrong arrow fails `npm run lint`
 * (test/structure/import-rules.test.ts proves it with probes).
 */

/** Each layer's folders (or top-level files of src/, named with their extension). */
export const LAYERS = [
  { name: 'process', members: ['cluster.ts', 'server.ts'] },
  { name: 'composition', members: ['app.ts', 'bootstrap.ts'] },
  {
    name: 'features',
    members: ['wallets', 'operations', 'transfers', 'holds', 'history', 'events', 'webhooks', 'dashboard', 'health', 'reconcile'],
  },
  { name: 'http', members: ['plugins'] },
  { name: 'metrics', members: ['metrics'] },
  { name: 'auth', members: ['auth'] },
  { name: 'kernel', members: ['ledger'] },
  { name: 'db', members: ['db'] },
  { name: 'tracing', members: ['tracing'] },
  { name: 'lib', members: ['lib'] },
  { name: 'config', members: ['config'] },
];

const FEATURES = LAYERS.find((l) => l.name === 'features').members;
const TOOLING = ['tools', 'bench', 'faults', 'scripts', 'test'];

/** The import patterns that name `member` (a folder, or a top-level file such as app.ts). */
function patternsOf(member) {
  return member.endsWith('.ts') ? [`**/${member.replace(/\.ts$/, '.js')}`] : [`**/${member}/*`, `**/${member}/**`];
}

function filesOf(member) {
  return member.endsWith('.ts') ? [`src/${member}`] : [`src/${member}/**/*.ts`];
}

function rule(groups) {
  return ['error', { patterns: groups.filter((g) => g.group.length > 0) }];
}

/** What a member of layer `index` may not import, as no-restricted-imports pattern groups. */
function forbiddenFor(member, index) {
  const above = LAYERS.slice(0, index).flatMap((l) => l.members).flatMap(patternsOf);
  const otherFeatures = FEATURES.includes(member) ? FEATURES.filter((f) => f !== member).flatMap(patternsOf) : [];
  return [
    { group: above, message: `src/${member} is on the ${LAYERS[index].name} layer: it may import only lower layers (eslint.layers.js)` },
    { group: otherFeatures, message: 'a feature never imports another feature: move what both need into the kernel (src/ledger)' },
    { group: TOOLING.flatMap(patternsOf), message: 'src/ never imports the tooling around it (tools, bench, faults, scripts, test)' },
  ];
}

const noHttp = {
  group: ['**/plugins/*', 'fastify', '@fastify/*'],
  message: 'the domain knows no HTTP: only *-routes.ts files import src/plugins or Fastify',
};

/** One config object per member, then one per domain part (a later object's options replace an earlier one's). */
export const importRules = LAYERS.flatMap((layer, index) => layer.members.flatMap((member) => {
  const forbidden = forbiddenFor(member, index);
  const configs = [{ files: filesOf(member), rules: { 'no-restricted-imports': rule(forbidden) } }];
  if (FEATURES.includes(member) || member === 'ledger') {
    configs.push({
      files: filesOf(member),
      ignores: [`src/${member}/**/*-routes.ts`, 'src/health/readiness.ts'],
      rules: { 'no-restricted-imports': rule([...forbidden, noHttp]) },
    });
  }
  return configs;
}));
