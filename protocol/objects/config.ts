import { z } from 'zod';
import { objectMetaSchema } from './meta.js';

const KEY = /^[-._a-zA-Z0-9]+$/;
const dataKeys = <T extends z.ZodType>(value: T) => z.record(z.string().regex(KEY, 'keys may hold only letters, digits, "-", "_" and "."'), value);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

export const configMapSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: objectMetaSchema,
  data: dataKeys(z.string()).optional(),
  binaryData: dataKeys(base64).optional(),
  immutable: z.boolean().optional(),
});
export type ConfigMap = z.infer<typeof configMapSchema> & { metadata: { name: string } };

export const secretSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: objectMetaSchema,
  type: z.string().optional(),
  data: dataKeys(base64).optional(),
  stringData: dataKeys(z.string()).optional(),
  immutable: z.boolean().optional(),
});
export type Secret = z.infer<typeof secretSchema> & { metadata: { name: string } };
