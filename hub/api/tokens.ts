/**
 * Drover's own endpoints under /apis/drover.io/v1 (admin only):
 *   POST   jointokens {ttlSeconds?, description?, singleUse?} -> {token, id, expiresAt}
 *   GET    jointokens            -> JoinTokenList (no secrets)
 *   DELETE jointokens/ID
 *   POST   apitokens {role, namespace?, description?}       -> {token, id}
 *   GET    apitokens, DELETE apitokens/ID (when the auth service offers them)
 */
import { z } from 'zod';
import { labelNameSchema } from '../../protocol/objects/meta.js';
import { formatPath } from '../../protocol/manifest.js';
import { authorize, type Verb } from './auth.js';
import type { ApiDeps, Reply, RequestContext } from './context.js';
import { DROVER_GROUP, DROVER_VERSION, type TokenResource } from './router.js';
import { apiErrors, successStatus } from './status.js';

const joinTokenRequest = z.strictObject({
  ttlSeconds: z.number().int().positive().optional(),
  description: z.string().max(256).optional(),
  singleUse: z.boolean().optional(),
});
const apiTokenRequest = z.strictObject({
  role: z.enum(['admin', 'edit', 'view']),
  namespace: labelNameSchema.optional(),
  description: z.string().max(256).optional(),
});

const SECRET_KEY = /hash|secret|password|^token$/i;

/** A copy without anything that looks like a secret or its hash. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!SECRET_KEY.test(k)) out[k] = withoutSecrets(v);
  return out;
}

function verbOf(method: string, id: string | undefined): Verb | undefined {
  if (method === 'POST' && id === undefined) return 'create';
  if (method === 'GET') return id === undefined ? 'list' : 'get';
  if (method === 'DELETE' && id !== undefined) return 'delete';
  return undefined;
}

export async function handleTokens(ctx: RequestContext, resource: TokenResource, id: string | undefined, deps: ApiDeps): Promise<Reply> {
  const verb = verbOf(ctx.method, id);
  if (!verb || verb === 'get') throw apiErrors.methodNotAllowed(`${ctx.method} is not supported on ${ctx.url.pathname}`);
  if (ctx.principal) authorize(ctx.principal, { verb, resource, namespace: undefined, namespaced: false, ...(id ? { name: id } : {}) });
  const { auth } = deps;
  const apiVersion = `${DROVER_GROUP}/${DROVER_VERSION}`;
  if (resource === 'jointokens') {
    switch (verb) {
      case 'create': {
        const req = parseOrThrow(joinTokenRequest, await ctx.readJson(true), 'JoinToken');
        const created = await auth.createJoinToken(req);
        deps.logger.info({ id: created.id, expiresAt: created.expiresAt, by: ctx.principal?.id }, 'join token created');
        return { code: 201, body: { token: created.token, id: created.id, expiresAt: created.expiresAt } };
      }
      case 'list':
        return { code: 200, body: { apiVersion, kind: 'JoinTokenList', metadata: {}, items: withoutSecrets(await auth.listJoinTokens()) } };
      case 'delete':
        await auth.revokeJoinToken(id!);
        deps.logger.info({ id, by: ctx.principal?.id }, 'join token revoked');
        return { code: 200, body: successStatus({ name: id!, group: DROVER_GROUP, kind: 'jointokens' }) };
      default:
        break;
    }
  } else {
    switch (verb) {
      case 'create': {
        const req = parseOrThrow(apiTokenRequest, await ctx.readJson(), 'ApiToken');
        const created = await auth.createApiToken(req);
        deps.logger.info({ id: created.id, role: req.role, namespace: req.namespace, by: ctx.principal?.id }, 'API token created');
        return { code: 201, body: { token: created.token, id: created.id } };
      }
      case 'list':
        if (!auth.listApiTokens) throw apiErrors.methodNotAllowed('listing API tokens is not supported by this hub');
        return { code: 200, body: { apiVersion, kind: 'ApiTokenList', metadata: {}, items: withoutSecrets(await auth.listApiTokens()) } };
      case 'delete':
        if (!auth.revokeApiToken) throw apiErrors.methodNotAllowed('revoking API tokens is not supported by this hub');
        await auth.revokeApiToken(id!);
        deps.logger.info({ id, by: ctx.principal?.id }, 'API token revoked');
        return { code: 200, body: successStatus({ name: id!, group: DROVER_GROUP, kind: 'apitokens' }) };
      default:
        break;
    }
  }
  throw apiErrors.methodNotAllowed(`${ctx.method} is not supported on ${ctx.url.pathname}`);
}

function parseOrThrow<T>(schema: z.ZodType<T>, body: unknown, kind: string): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const causes = result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => ({ field: formatPath([...issue.path, k]), message: 'unknown field' }))
      : [{ field: formatPath(issue.path), message: issue.message }],
  );
  throw apiErrors.invalid(kind, '', causes);
}
