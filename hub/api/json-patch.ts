/**
 * JSON patch (RFC 6902, application/json-patch+json), as `kubectl patch --type=json` sends it, applied
 * with fast-json-patch: add, remove, replace, move, copy and test, each validated before any is applied.
 * A patch that fails (a path that is not there, a failed test) is refused whole, 422 Invalid as
 * Kubernetes answers, with the operation and the reason.
 */
import jsonPatch from 'fast-json-patch';
import { apiErrors } from './status.js';

const { applyPatch, deepClone, JsonPatchError } = jsonPatch;
type Operation = jsonPatch.Operation;

/** The body of a JSON patch: a list of operations, else 400. */
export function asOperations(body: unknown): unknown[] {
  if (!Array.isArray(body)) throw apiErrors.badRequest('a JSON patch must be a list of operations, such as [{"op": "replace", "path": "/spec/replicas", "value": 3}]');
  return body;
}

/** `target` with the operations applied; `target` is not modified. */
export function applyJsonPatch(target: unknown, operations: unknown[], kind: string, name: string): unknown {
  try {
    return applyPatch(deepClone(target), operations as Operation[], true, false).newDocument;
  } catch (err) {
    if (!(err instanceof JsonPatchError)) throw err;
    const op = err.operation ? ` (operation ${err.index ?? '?'}: ${JSON.stringify(err.operation)})` : '';
    throw apiErrors.invalid(kind, name, [{ field: 'patch', message: `${err.name === 'TEST_OPERATION_FAILED' ? 'the test operation failed' : err.message.split('\n')[0]}${op}`, reason: 'FieldValueInvalid' }]);
  }
}
