#!/usr/bin/env node
/** The `drover` binary (package.json bin -> dist/hub/cli/main.js). */
const argv = process.argv.slice(2);

// `drover agent ...` only starts the agent process and waits for it, for as long as the device runs: take
// the short way, without loading every command (the hub, SQLite, the MQTT broker, metrics: ~35 MiB resident).
async function run(): Promise<number> {
  if (argv[0] === 'agent' || argv[0] === 'sim') {
    // `drover sim` likewise: a bench runs several launchers beside the hub
    const [{ runAgent }, { runSim }, { processIO }] = await Promise.all([import('./commands/agent.js'), import('./commands/sim.js'), import('./io.js')]);
    try {
      return await (argv[0] === 'agent' ? runAgent : runSim)(argv.slice(1), processIO());
    } catch (err) {
      process.stderr.write(`error: ${(err as Error).message}\n`); // as runCli reports it
      return 1;
    }
  }
  const { runCli } = await import('./program.js');
  return runCli(argv);
}

const code = await run();
process.exitCode = code;
// Idle keep-alive sockets must not hold the CLI open; anything still running after a second is cut.
setTimeout(() => process.exit(code), 1000).unref();
