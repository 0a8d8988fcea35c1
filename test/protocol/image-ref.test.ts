import { describe, expect, it } from 'vitest';
import { isValidImageReference, validateObject } from '../../protocol/index.js';

describe('image references', () => {
  it.each(['nginx', 'nginx:1.14.2', 'drover.local/busybox:test', 'registry.local:5000/team/app:v1.2-rc.1', 'localhost/a_b/c__d',
    `busybox@sha256:${'a'.repeat(64)}`, 'ghcr.io/org/img:tag@sha256:' + 'f'.repeat(64), '[::1]:5000/x:y'])('accepts %s', (ref) => {
    expect(isValidImageReference(ref)).toBe(true);
  });
  it.each(['', '-v', '--privileged', 'Nginx', 'nginx:', 'a b', 'nginx;rm -rf /', 'x:y:z', '/abs', 'a//b', 'a:-x', `a:${'t'.repeat(200)}`])(
    'refuses %j',
    (ref) => {
      expect(isValidImageReference(ref)).toBe(false);
    },
  );
  it('a manifest with a bad image names the field', () => {
    expect(() =>
      validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: '--privileged' }] } }),
    ).toThrow(/spec\.containers\[0\]\.image: invalid image reference/);
  });
});
