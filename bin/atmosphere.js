#!/usr/bin/env node
// The `atmosphere` command. Everything lives in dist/cli; this file only loads it.
import '../dist/polyfills.js';
const { main } = await import('../dist/cli/main.js');
await main(process.argv);
