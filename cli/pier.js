#!/usr/bin/env node
// The package's bin. Plain JavaScript so that any Node can read it and say
// which Node pier needs: the rest is TypeScript, which only Node 24+ runs
// directly (type stripping). npm and npx put node_modules/.bin first on PATH,
// where the `node` devDependency provides Node 24.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write('pier needs Node.js 24 or newer; run it through npx/npm so node_modules/.bin/node is used\n');
  process.exit(1);
}
import('./main.ts');
