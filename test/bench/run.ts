/**
 * `npm run bench`: runs every test/bench/*.bench.ts (each exports `run(): Promise<BenchResult[]>`), prints the
 * results and writes them to BENCHMARKS.md with the machine and the date. Benchmarks, not tests: numbers
 * are recorded, never asserted.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem, release } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const dir = import.meta.dirname;
const only = process.argv.slice(2);
const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((o) => f.includes(o)))).sort();
const sections: { file: string; results: BenchResult[] }[] = [];
for (const file of files) {
  console.log(`== ${file}`);
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { run: () => Promise<BenchResult[]> };
  const results = await mod.run();
  for (const r of results) console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` (${r.note})` : ''}`);
  sections.push({ file, results });
}

const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}, Node ${process.version}`;
const lines = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (test/bench/run.ts). Numbers from one run on a shared machine: compare orders of magnitude, not digits.',
  '',
  `- Date: ${new Date().toISOString()}`,
  `- Machine: ${machine}`,
  '',
];
const target = resolve(dir, '../../BENCHMARKS.md');
// A run of some benchmarks keeps the other sections of the file, each with the date it was measured.
const previous = await readFile(target, 'utf8').catch(() => '');
const kept = previous
  .split(/\n(?=## )/)
  .filter((block) => block.startsWith('## ') && !sections.some((s) => block.startsWith(`## ${s.file}`)))
  .map((block) => block.trimEnd() + '\n');
const date = new Date().toISOString();
for (const s of sections) {
  lines.push(`## ${s.file}`, '', `Measured ${date}.`, '', '| measure | value | unit | note |', '| --- | ---: | --- | --- |');
  for (const r of s.results) lines.push(`| ${r.name} | ${r.value} | ${r.unit} | ${r.note ?? ''} |`);
  lines.push('');
}
lines.push(...kept);
await writeFile(target, lines.join('\n'));
console.log('wrote BENCHMARKS.md');
process.exit(0);
