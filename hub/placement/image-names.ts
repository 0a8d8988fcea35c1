/**
 * The canonical form of an image reference, so that "busybox", "busybox:latest" and
 * "docker.io/library/busybox:latest" compare equal: default registry docker.io, default repository
 * prefix library/ for one-part names, default tag latest (unless a digest is given).
 */
export function normalizeImageName(ref: string): string {
  let name = ref.trim();
  let digest = '';
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at);
    name = name.slice(0, at);
  }
  let tag = '';
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon);
    name = name.slice(0, colon);
  } else if (digest === '') {
    tag = ':latest';
  }
  const parts = name.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) name = parts.length === 1 ? `docker.io/library/${name}` : `docker.io/${name}`;
  return name + tag + digest;
}
