// Entry point of the single executable built by `npm run package:sea` (scripts/package-sea.mjs bundles
// it, with the compiled CLI, into one CommonJS file that Node's single-executable support runs).
import '../../dist/polyfills.js';
import { main } from '../../dist/cli/main.js';

// In a single executable argv[1] is the command as typed (where a script path would be). The CLI uses
// argv[1] to relaunch itself for `atmosphere start` (`<node> <argv[1]> --home ... start --foreground`),
// so it gets the executable's absolute path; in that relaunch the executable appears again as the
// first argument, where a script would be, and is dropped.
const argv = [process.execPath, process.execPath, ...process.argv.slice(2)];
if (argv[2] === process.execPath) argv.splice(2, 1);

main(argv).catch((err) => {
  process.stderr.write(`atmosphere: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 70;
});
