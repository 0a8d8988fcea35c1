/**
 * The error catalogues, as fastify's error-codes test checks its own: every area's errors.ts exports
 * `<AREA>_ERROR_CODES` (code -> what it means); codes are E<AREA>_<WHAT>, unique across Drover, each
 * listed in its area's README.md, and every code the source raises is in a catalogue.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_DIRS = ['protocol', 'runtime-adapters', 'agent', 'hub'];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const sources = SOURCE_DIRS.flatMap((d) => walk(join(root, d)));
const errorModules = sources.filter((p) => /\/(hub-)?errors\.ts$/.test(p));

interface Catalogue {
  file: string;
  name: string;
  codes: Record<string, string>;
}

async function loadCatalogues(): Promise<Catalogue[]> {
  const out: Catalogue[] = [];
  for (const file of errorModules) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (name.endsWith('_ERROR_CODES')) out.push({ file: relative(root, file), name, codes: value as Record<string, string> });
    }
  }
  return out;
}

const catalogues = await loadCatalogues();

describe('error catalogues', () => {
  it('every errors.ts exports one catalogue', () => {
    for (const file of errorModules) {
      expect(catalogues.filter((c) => c.file === relative(root, file)).map((c) => c.name), file).toHaveLength(1);
    }
  });

  it('codes are unique across every area', () => {
    const all = catalogues.flatMap((c) => Object.keys(c.codes));
    const dupes = all.filter((code, i) => all.indexOf(code) !== i);
    expect(dupes).toEqual([]);
  });

  for (const c of catalogues) {
    describe(c.file, () => {
      it('has codes E<AREA>_<WHAT> with one prefix, each with a description', () => {
        const prefixes = new Set(Object.keys(c.codes).map((code) => code.split('_')[0]));
        expect(prefixes.size).toBe(1);
        for (const [code, what] of Object.entries(c.codes)) {
          expect(code).toMatch(/^E[A-Z]+_[A-Z0-9_]+$/);
          expect(typeof what === 'string' && what.length > 10, `${code} needs a description`).toBe(true);
        }
      });

      it('documents every code in its README.md', () => {
        const readme = readFileSync(join(root, dirname(c.file), 'README.md'), 'utf8');
        const missing = Object.keys(c.codes).filter((code) => !readme.includes(code));
        expect(missing).toEqual([]);
      });
    });
  }

  it('every code the source raises is catalogued', () => {
    const known = new Set(catalogues.flatMap((c) => Object.keys(c.codes)));
    const raised = new Set<string>();
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/super\(\s*'(E[A-Z][A-Z0-9_]*)'/g)) raised.add(m[1]!);
      for (const m of text.matchAll(/readonly code = '(E[A-Z][A-Z0-9_]*)'/g)) raised.add(m[1]!);
    }
    expect(raised.size).toBeGreaterThan(20);
    expect([...raised].filter((code) => !known.has(code))).toEqual([]);
  });
});
