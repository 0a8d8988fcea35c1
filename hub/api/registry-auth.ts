/**
 * Who is calling the image endpoints, as registries authenticate: HTTP Basic (what `ctr --user` and
 * `docker login` send) with a node's MQTT credential (`node:NAME`, its password) or any username and an
 * API token as the password; or `Bearer <API token>`. Nodes and every API role may pull; only admin
 * tokens push and delete.
 */
import type { IncomingMessage } from 'node:http';
import type { ApiAuth } from './auth.js';

export type ImageCaller = { kind: 'node'; node: string } | { kind: 'token'; id: string; admin: boolean };

export interface ImageAuth {
  verifyApiToken: ApiAuth['verifyApiToken'];
  verifyNodeCredential(username: string, password: string): Promise<string | undefined>;
}

export async function imageCaller(auth: ImageAuth, req: IncomingMessage): Promise<ImageCaller | undefined> {
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  let user: string | undefined;
  let token: string | undefined;
  if (bearer) token = bearer[1];
  else if (basic) {
    const text = Buffer.from(basic[1]!, 'base64').toString('utf8');
    // a node's username has a colon of its own (node:NAME); names never do, so its password starts after the second
    const colon = text.startsWith('node:') ? text.indexOf(':', 'node:'.length) : text.indexOf(':');
    if (colon < 0) return undefined;
    user = text.slice(0, colon);
    token = text.slice(colon + 1);
  }
  if (!token) return undefined;
  if (user?.startsWith('node:')) {
    const node = await auth.verifyNodeCredential(user, token);
    return node ? { kind: 'node', node } : undefined;
  }
  const principal = await auth.verifyApiToken(token);
  return principal ? { kind: 'token', id: principal.id, admin: principal.role === 'admin' && principal.namespace === undefined } : undefined;
}
