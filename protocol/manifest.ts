import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { ManifestError, ValidationError } from './errors.js';
import { allKinds, kindByName } from './kinds.js';
import type { KubeObject } from './objects/meta.js';

/** Render a zod path the way kubectl does: spec.containers[0].image */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function issuesToErrors(document: string, error: z.ZodError): ValidationError[] {
  const out: ValidationError[] = [];
  for (const issue of error.issues) {
    const base = [...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(new ValidationError(document, formatPath([...base, key]), 'unknown field'));
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      out.push(new ValidationError(document, formatPath(base), 'required field is missing'));
    } else if (issue.code === 'invalid_union') {
      out.push(new ValidationError(document, formatPath(base), issue.message));
    } else {
      out.push(new ValidationError(document, formatPath(base), issue.message));
    }
  }
  return out;
}

/** Validate one object against its kind's schema; returns the parsed (normalised) object. */
export function validateObject(value: unknown, document = 'object'): KubeObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ManifestError([new ValidationError(document, '', 'must be a mapping (an object with apiVersion and kind)')]);
  }
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== 'string') throw new ManifestError([new ValidationError(document, 'kind', 'required field is missing')]);
  if (typeof v.apiVersion !== 'string') {
    throw new ManifestError([new ValidationError(document, 'apiVersion', 'required field is missing')]);
  }
  const info = kindByName(v.kind);
  if (!info) {
    const known = allKinds().map((k) => k.kind).join(', ');
    throw new ManifestError([new ValidationError(document, 'kind', `unsupported kind "${v.kind}" (Drover knows ${known})`)]);
  }
  if (info.apiVersion !== v.apiVersion) {
    throw new ManifestError([
      new ValidationError(document, 'apiVersion', `${v.kind} is served as apiVersion "${info.apiVersion}", not "${v.apiVersion}"`),
    ]);
  }
  const result = info.schema.safeParse(value);
  if (!result.success) throw new ManifestError(issuesToErrors(document, result.error));
  const obj = result.data as KubeObject;
  if (!obj.metadata?.name && !obj.metadata?.generateName) {
    throw new ManifestError([new ValidationError(document, 'metadata.name', 'required field is missing')]);
  }
  return obj;
}

/**
 * Parse a multi-document YAML (or JSON) manifest into validated objects. `source` names the file in
 * messages. A `List` kind is flattened. Every problem of every document is reported at once.
 */
export function parseManifests(text: string, source = 'manifest'): KubeObject[] {
  // YAML 1.1, as Kubernetes reads manifests (go-yaml v2): `defaultMode: 0644` is octal.
  // Timestamps stay strings (Kubernetes objects carry RFC 3339 strings, not dates).
  const docs = parseAllDocuments(text, {
    version: '1.1',
    customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp'),
  });
  const objects: KubeObject[] = [];
  const problems: ValidationError[] = [];
  docs.forEach((doc, index) => {
    const label = `${source} (document ${index + 1})`;
    if (doc.errors.length > 0) {
      problems.push(new ValidationError(label, '', `invalid YAML: ${doc.errors[0]!.message}`));
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return; // empty document (e.g. trailing ---)
    const items =
      typeof value === 'object' && !Array.isArray(value) && (value as { kind?: unknown }).kind === 'List'
        ? ((value as { items?: unknown[] }).items ?? [])
        : [value];
    items.forEach((item, i) => {
      const itemLabel = items.length > 1 || item !== value ? `${label} item ${i}` : label;
      const name = (item as { metadata?: { name?: unknown } } | null)?.metadata?.name;
      const kind = (item as { kind?: unknown } | null)?.kind;
      const named = typeof kind === 'string' && typeof name === 'string' ? `${itemLabel} ${kind}/${name}` : itemLabel;
      try {
        objects.push(validateObject(item, named));
      } catch (err) {
        if (err instanceof ManifestError) problems.push(...err.problems);
        else throw err;
      }
    });
  });
  if (problems.length > 0) throw new ManifestError(problems);
  return objects;
}
