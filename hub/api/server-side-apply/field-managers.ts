/**
 * The API's hooks into managedFields: who writes (the `fieldManager` query parameter, else the user
 * agent's prefix, as Kubernetes), and the managers an ordinary write (create, PUT, merge/strategic/JSON
 * patch, scale) leaves on the object it stores.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../../protocol/objects/meta.js';
import type { RequestContext } from '../context.js';
import { patchOptionsInvalid } from './apply.js';
import { defaultManager, managedTime, managersOf, ownedChanges, recordUpdate, withManagedFields, type Manager, type ManagedOperation, type WriteIdentity } from './managed-fields.js';

/** The writer of this request: its manager, operation, the kind's apiVersion and the time (RFC 3339, seconds). */
export function writerOf(ctx: RequestContext, apiVersion: string, now: number, operation: ManagedOperation = 'Update', subresource?: string): WriteIdentity {
  const named = ctx.url.searchParams.get('fieldManager');
  if (named !== null && named.length > 128) throw patchOptionsInvalid('fieldManager', 'FieldValueTooLong', 'Too long: may not be more than 128 bytes');
  const manager = named || defaultManager(ctx.req.headers['user-agent']);
  return { manager, operation, apiVersion, time: managedTime(now), ...(subresource ? { subresource } : {}) };
}

/** A body's managedFields that mean "reset them" (Kubernetes: an empty list, or one empty entry). */
function isReset(value: unknown): boolean {
  return Array.isArray(value) && (value.length === 0 || (value.length === 1 && isDeepStrictEqual(value[0], {})));
}

/**
 * The managers to start from: the stored ones, unless the written object carries other managedFields
 * (a client may set them, or reset them with `[]` / `[{}]`).
 */
function baseManagers(existing: KubeObject | undefined, next: KubeObject): Manager[] {
  const sent = (next.metadata as Record<string, unknown>).managedFields;
  const stored = (existing?.metadata as Record<string, unknown> | undefined)?.managedFields;
  if (sent === undefined || isDeepStrictEqual(sent, stored)) return managersOf(existing);
  if (isReset(sent)) return [];
  return managersOf(next);
}

/** `next` (what an ordinary write stores) with its managedFields: the writer owns what it changed. */
export function trackUpdate<T extends KubeObject>(existing: KubeObject | undefined, next: T, kind: string, who: WriteIdentity): T {
  const managers = recordUpdate(baseManagers(existing, next), who, ownedChanges(existing ?? {}, next, kind));
  return withManagedFields(next, managers);
}
