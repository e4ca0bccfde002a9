#!/usr/bin/env node
// The `atmosphere` command. Everything lives in dist/: this file loads the CLI bundle that
// `npm run build` writes to dist/bundle (a few files instead of hundreds of modules: it starts
// faster), or the compiled modules in dist/cli when there is no bundle.
import '../dist/polyfills.js';
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/bundle/atmosphere.js', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/cli/main.js');
await main(process.argv);
