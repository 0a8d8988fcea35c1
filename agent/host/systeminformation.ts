/**
 * The parts of systeminformation (DESIGN.md's package for host facts) the fingerprinters use, each loaded
 * on first use from the package's own module for it (`lib/cpu.js`, `lib/memory.js`, `lib/osinfo.js`,
 * `lib/network.js`, with their shared `lib/util.js`). The package's main entry requires all 21 of its
 * modules (graphics, wifi, bluetooth, printers, docker, processes, ...), about 0.9 MiB of source held in the
 * heap for the process's lifetime; the agent runs on devices with 512 MiB. The types are the package's.
 * systeminformation has no `exports` map, so these paths are as public as its main entry.
 */
import { createRequire } from 'node:module';
import type * as Si from 'systeminformation';

const require = createRequire(import.meta.url);

type CpuLib = Pick<typeof Si, 'cpu' | 'currentLoad'>;
type MemoryLib = Pick<typeof Si, 'mem'>;
type OsLib = Pick<typeof Si, 'osInfo' | 'uuid'>;
type NetworkLib = Pick<typeof Si, 'networkInterfaces'>;

let cpuLib: CpuLib | undefined;
let memoryLib: MemoryLib | undefined;
let osLib: OsLib | undefined;
let networkLib: NetworkLib | undefined;

const cpuModule = (): CpuLib => (cpuLib ??= require('systeminformation/lib/cpu.js') as CpuLib);
const memoryModule = (): MemoryLib => (memoryLib ??= require('systeminformation/lib/memory.js') as MemoryLib);
const osModule = (): OsLib => (osLib ??= require('systeminformation/lib/osinfo.js') as OsLib);
const networkModule = (): NetworkLib => (networkLib ??= require('systeminformation/lib/network.js') as NetworkLib);

export const cpu = (): Promise<Si.Systeminformation.CpuData> => cpuModule().cpu();
export const currentLoad = (): Promise<Si.Systeminformation.CurrentLoadData> => cpuModule().currentLoad();
export const mem = (): Promise<Si.Systeminformation.MemData> => memoryModule().mem();
export const osInfo = (): Promise<Si.Systeminformation.OsData> => osModule().osInfo();
export const uuid = (): Promise<Si.Systeminformation.UuidData> => osModule().uuid();
export const networkInterfaces = (): Promise<Si.Systeminformation.NetworkInterfacesData[]> => networkModule().networkInterfaces();
