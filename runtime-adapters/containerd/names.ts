import { createHash } from 'node:crypto';

/** containerd's identifier rule (containerd/identifiers): alphanumerics joined by single [._-], at most 76 characters. */
const ID_PATTERN = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;
const MAX_ID = 76;

/** Turn a container name into an identifier ctr accepts. Stable: the same name always gives the same id. */
export function sanitiseContainerId(name: string): string {
  if (ID_PATTERN.test(name) && name.length <= MAX_ID) return name;
  let id = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, (run) => run[0]!)
    .replace(/^[._-]+|[._-]+$/g, '');
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  if (id === '') return `c-${hash}`;
  if (id !== name || id.length > MAX_ID) id = `${id.slice(0, MAX_ID - 13).replace(/[._-]+$/, '')}-${hash}`;
  return id;
}

/**
 * Normalise an image reference the way Docker does, since containerd stores full names:
 * "busybox" -> "docker.io/library/busybox:latest", "me/app:1" -> "docker.io/me/app:1".
 */
export function normaliseImageRef(ref: string): string {
  const slash = ref.indexOf('/');
  const first = slash === -1 ? '' : ref.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = ref;
  if (!hasDomain) name = slash === -1 ? `docker.io/library/${ref}` : `docker.io/${ref}`;
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  if (!lastSegment.includes(':') && !name.includes('@')) name = `${name}:latest`;
  return name;
}
