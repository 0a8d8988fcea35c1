/** kubectl auth can-i (a SelfSubjectAccessReview, sent as protobuf): yes for the admin context, no for view. */
import { expect } from 'vitest';
import type { Row } from './row.js';

export const authRows: Row[] = [
  {
    name: 'kubectl auth can-i create deployments (admin: yes)',
    args: ['auth', 'can-i', 'create', 'deployments'],
    check(r) {
      expect(r.stdout).toBe('yes');
      expect(r.code).toBe(0);
    },
  },
  {
    name: 'kubectl --context view auth can-i create deployments (no)',
    args: ['--context', 'view', 'auth', 'can-i', 'create', 'deployments'],
    check(r) {
      // kubectl prints the review's reason after a "no"
      expect(r.stdout).toMatch(/^no - deployments(\.apps)? is forbidden: token "[^"]+" \(role view\) cannot create resource "deployments"/);
      expect(r.code).toBe(1);
    },
  },
  {
    name: 'kubectl --context view auth can-i list pods (yes)',
    args: ['--context', 'view', 'auth', 'can-i', 'list', 'pods'],
    check(r) {
      expect(r.stdout).toBe('yes');
      expect(r.code).toBe(0);
    },
  },
];
