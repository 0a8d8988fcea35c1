#!/usr/bin/env node
/** The `drover` binary (package.json bin -> dist/hub/cli/main.js). */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Idle keep-alive sockets must not hold the CLI open; anything still running after a second is cut.
setTimeout(() => process.exit(code), 1000).unref();
