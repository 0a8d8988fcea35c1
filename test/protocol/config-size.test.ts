import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../protocol/errors.js';
import { validateObject } from '../../protocol/manifest.js';
import { MAX_CONFIG_DATA_BYTES } from '../../protocol/objects/config.js';

const cm = (data: Record<string, string>, binaryData?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'big', namespace: 'default' },
  data,
  ...(binaryData ? { binaryData } : {}),
});

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ManifestError) return err.message;
    throw err;
  }
  return '';
}

describe('ConfigMap and Secret size (1 MiB, as Kubernetes)', () => {
  it('accepts exactly 1 MiB of keys and values, refuses one byte more, naming the field', () => {
    const key = 'k';
    expect(() => validateObject(cm({ [key]: 'x'.repeat(MAX_CONFIG_DATA_BYTES - 1) }))).not.toThrow();
    const msg = messageOf(() => validateObject(cm({ [key]: 'x'.repeat(MAX_CONFIG_DATA_BYTES) })));
    expect(msg).toMatch(/data: Too long: must have at most 1048576 bytes \(it holds 1048577\)/);
  });

  it('counts binaryData decoded and data together', () => {
    const half = Buffer.alloc(MAX_CONFIG_DATA_BYTES / 2).toString('base64');
    expect(messageOf(() => validateObject(cm({ a: 'x'.repeat(MAX_CONFIG_DATA_BYTES / 2) }, { b: half })))).toMatch(/Too long/);
  });

  it('a Secret counts data decoded and stringData merged into it', () => {
    const secret = (data: Record<string, string>, stringData?: Record<string, string>) => ({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data, ...(stringData ? { stringData } : {}),
    });
    const big = Buffer.alloc(MAX_CONFIG_DATA_BYTES).toString('base64');
    expect(messageOf(() => validateObject(secret({ k: big })))).toMatch(/data: Too long/);
    // the same key in stringData replaces the data value: small again
    expect(() => validateObject(secret({ k: big }, { k: 'small' }))).not.toThrow();
    expect(messageOf(() => validateObject(secret({}, { k: 'x'.repeat(MAX_CONFIG_DATA_BYTES) })))).toMatch(/data: Too long/);
  });
});
