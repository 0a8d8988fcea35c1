/**
 * `kubectl auth can-i` (SelfSubjectAccessReview) and `auth can-i --list` (SelfSubjectRulesReview)
 * against a real hub: the answers are the API's own (the same check a request goes through), for
 * admin, view and a namespace-scoped edit token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCompatHub, type CompatHub } from './support.js';

describe('kubectl auth can-i (real kubectl, real hub)', () => {
  let h: CompatHub;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    h = await startCompatHub('can-i');
    expect((await h.kubectl(['apply', '--validate=false', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: { name: team-a }\n')).code).toBe(0);
    for (const [name, body] of Object.entries({ view: { role: 'view' }, edit: { role: 'edit', namespace: 'team-a' } })) {
      const r = await h.kubectl(['create', '--raw', '/apis/drover.io/v1/apitokens', '-f', '-'], JSON.stringify(body));
      expect(r.code, r.out).toBe(0);
      tokens[name] = (JSON.parse(r.stdout) as { token: string }).token;
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  const canI = (who: 'admin' | 'view' | 'edit', args: string[]) => h.kubectl(['auth', 'can-i', ...args, ...(who === 'admin' ? [] : ['--token', tokens[who]!])]);

  it('answers yes and no as the API would, with exit codes 0 and 1', async () => {
    const cases: Array<['admin' | 'view' | 'edit', string[], 'yes' | 'no']> = [
      ['admin', ['create', 'nodes'], 'yes'],
      ['admin', ['delete', 'secrets', '-A'], 'yes'],
      ['view', ['get', 'pods', '-A'], 'yes'],
      ['view', ['list', 'deployments.apps', '-n', 'default'], 'yes'],
      ['view', ['create', 'pods'], 'no'],
      ['view', ['get', 'secrets'], 'no'],
      ['edit', ['create', 'deployments.apps', '-n', 'team-a'], 'yes'],
      ['edit', ['get', 'secrets', '-n', 'team-a'], 'yes'],
      ['edit', ['create', 'deployments.apps', '-n', 'default'], 'no'],
      ['edit', ['update', 'pods', '--subresource=status', '-n', 'team-a'], 'no'],
      ['edit', ['update', 'pods', '-n', 'team-a'], 'yes'],
      ['edit', ['delete', 'nodes'], 'no'],
    ];
    for (const [who, args, want] of cases) {
      const r = await canI(who, args);
      // kubectl prints the reason after a "no" ("no - pods is forbidden: ...")
      expect(`${who} ${args.join(' ')}: ${r.stdout.trim().split(' ')[0]}`).toBe(`${who} ${args.join(' ')}: ${want}`);
      expect(r.code).toBe(want === 'yes' ? 0 : 1);
    }
  });

  it('--list shows the rules of the token', async () => {
    const view = await canI('view', ['--list', '-n', 'default']);
    expect(view.code, view.out).toBe(0);
    expect(view.stdout).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]/m);
    expect(view.stdout).not.toMatch(/^secrets\s/m);
    const admin = await canI('admin', ['--list']);
    expect(admin.stdout).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/m);
  });
});
