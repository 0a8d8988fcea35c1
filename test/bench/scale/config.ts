/** The scale bench's knobs (environment variables and the command line; scale.bench.ts lists them) and its log line. */

export const env = process.env;
const argNodes = process.argv.slice(2).filter((a) => /^\d+(,\d+)*$/.test(a)).flatMap((a) => a.split(','));
export const FLEET_SIZES = (argNodes.length > 0 ? argNodes : (env.SCALE_NODES ?? '1000').split(',')).map(Number).filter((n) => n > 0);
export const SCENARIOS = new Set((env.SCALE_SCENARIOS ?? 'join,api,deploy,restart,kill').split(',').map((s) => s.trim()));
export const PER_PROCESS = Number(env.SCALE_NODES_PER_PROCESS ?? 2500);
export const REPLICAS = Number(env.SCALE_REPLICAS ?? 10_000);
export const DEPLOY_MIN_NODES = Number(env.SCALE_DEPLOY_MIN_NODES ?? 1000);
export const KILL_REPLICAS = Number(env.SCALE_KILL_REPLICAS ?? REPLICAS);
export const CPU_WINDOW_MS = Number(env.SCALE_CPU_WINDOW_S ?? 60) * 1000;
export const TIMEOUT_MS = Number(env.SCALE_TIMEOUT_S ?? 600) * 1000;
export const SIM_ARGS = (env.SCALE_SIM_ARGS ?? '').split(/\s+/).filter(Boolean);
export const HEAP_SNAPSHOT = env.SCALE_HEAP_SNAPSHOT === '1';
export const CPU_PROFILE = env.SCALE_CPU_PROFILE === '1';
export const PREFIX = 'sim-';

export const log = (text: string) => console.log(`[scale ${new Date().toISOString().slice(11, 19)}] ${text}`);
