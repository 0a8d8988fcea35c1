import { z } from 'zod';
import { objectMetaSchema } from './meta.js';

const KEY = /^[-._a-zA-Z0-9]+$/;
const dataKeys = <T extends z.ZodType>(value: T) => z.record(z.string().regex(KEY, 'keys may hold only letters, digits, "-", "_" and "."'), value);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/**
 * The most a ConfigMap's or Secret's data may hold, keys and values together (Kubernetes' MaxSecretSize,
 * 1 MiB, which ConfigMaps share): what one object can add to a node's desired set.
 */
export const MAX_CONFIG_DATA_BYTES = 1024 * 1024;

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const base64Bytes = (s: string): number => Buffer.byteLength(s, 'base64');
/** Keys plus values, in bytes (base64 values decoded), as Kubernetes counts them. */
const sizeOf = (entries: Record<string, string> | undefined, valueBytes: (v: string) => number): number =>
  Object.entries(entries ?? {}).reduce((n, [k, v]) => n + utf8Bytes(k) + valueBytes(v), 0);

function tooLong(ctx: z.core.ParsePayload<unknown>, field: string, size: number): void {
  ctx.issues.push({
    code: 'custom',
    path: [field],
    message: `Too long: must have at most ${MAX_CONFIG_DATA_BYTES} bytes (it holds ${size})`,
    input: ctx.value,
  });
}

export const configMapSchema = z
  .strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('ConfigMap'),
    metadata: objectMetaSchema,
    data: dataKeys(z.string()).optional(),
    binaryData: dataKeys(base64).optional(),
    immutable: z.boolean().optional(),
  })
  .check((ctx) => {
    const size = sizeOf(ctx.value.data, utf8Bytes) + sizeOf(ctx.value.binaryData, base64Bytes);
    if (size > MAX_CONFIG_DATA_BYTES) tooLong(ctx, ctx.value.binaryData && !ctx.value.data ? 'binaryData' : 'data', size);
  });
export type ConfigMap = z.infer<typeof configMapSchema> & { metadata: { name: string } };

export const secretSchema = z
  .strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Secret'),
    metadata: objectMetaSchema,
    type: z.string().optional(),
    data: dataKeys(base64).optional(),
    stringData: dataKeys(z.string()).optional(),
    immutable: z.boolean().optional(),
  })
  .check((ctx) => {
    // stringData is merged into data (a key in both: stringData's value), then counted
    const merged = new Map<string, number>();
    for (const [k, v] of Object.entries(ctx.value.data ?? {})) merged.set(k, base64Bytes(v));
    for (const [k, v] of Object.entries(ctx.value.stringData ?? {})) merged.set(k, utf8Bytes(v));
    let size = 0;
    for (const [k, n] of merged) size += utf8Bytes(k) + n;
    if (size > MAX_CONFIG_DATA_BYTES) tooLong(ctx, 'data', size);
  });
export type Secret = z.infer<typeof secretSchema> & { metadata: { name: string } };
