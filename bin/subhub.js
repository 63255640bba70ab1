#!/usr/bin/env node
'use strict';
// The CLI runs the compiled TypeScript in dist/ (built by `npm ci` through the prepare script).
try {
  require('../dist/src/cli/main.js').run();
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('subhub: not built yet; run `npm ci` (or `npm run build`) first\n');
    process.exit(70);
  }
  throw e;
}
