import { describe, expect, it } from 'vitest';
import { parseAuditFlags, parsePodSecurityFlags } from '../../../hub/cli/commands/hub.js';
import { UsageError } from '../../../hub/cli/errors.js';

describe('drover hub --pod-security-* flags', () => {
  it('leaves the hub its defaults when no flag is given', () => {
    expect(parsePodSecurityFlags({})).toEqual({});
  });

  it('reads one level for every mode, or modes one by one over baseline', () => {
    expect(parsePodSecurityFlags({ podSecurityDefault: 'restricted' }).defaults).toEqual({
      enforce: { level: 'restricted', version: 'latest' },
      warn: { level: 'restricted', version: 'latest' },
      audit: { level: 'restricted', version: 'latest' },
    });
    expect(parsePodSecurityFlags({ podSecurityDefault: 'enforce=privileged,warn=restricted:v1.32' }).defaults).toEqual({
      enforce: { level: 'privileged', version: 'latest' },
      warn: { level: 'restricted', version: 'v1.32' },
      audit: { level: 'baseline', version: 'latest' },
    });
  });

  it('refuses a level or mode that is not one, as a usage error naming the flag', () => {
    expect(() => parsePodSecurityFlags({ podSecurityDefault: 'strict' })).toThrow(UsageError);
    expect(() => parsePodSecurityFlags({ podSecurityDefault: 'enforce=strict' })).toThrow(/--pod-security-default: "strict" is not a level/);
    expect(() => parsePodSecurityFlags({ podSecurityDefault: 'deny=baseline' })).toThrow(/is not MODE=LEVEL/);
  });

  it('reads exemptions: admin, token ids and namespaces; none exempts nobody', () => {
    expect(parsePodSecurityFlags({ podSecurityExempt: 'admin, token:ci, namespace:infra' }).exemptions).toEqual({
      adminTokens: true,
      tokens: ['ci'],
      namespaces: ['infra'],
    });
    expect(parsePodSecurityFlags({ podSecurityExempt: 'none' }).exemptions).toEqual({ adminTokens: false, tokens: [], namespaces: [] });
    expect(() => parsePodSecurityFlags({ podSecurityExempt: 'everyone' })).toThrow(/"everyone" is not admin, token:ID, namespace:NAME or none/);
    expect(() => parsePodSecurityFlags({ podSecurityExempt: 'token:' })).toThrow(UsageError);
  });
});

describe('drover hub --audit-* flags', () => {
  it('reads the level, the path and the rotation (MiB, backups)', () => {
    expect(parseAuditFlags({})).toEqual({});
    expect(parseAuditFlags({ auditLevel: 'None', auditLogPath: '/var/log/drover-audit.log', auditLogMaxsize: '2', auditLogMaxbackup: '3' })).toEqual({
      level: 'None',
      path: '/var/log/drover-audit.log',
      maxBytes: 2 * 1024 * 1024,
      maxBackups: 3,
    });
  });

  it('refuses other levels and sizes that are not positive whole numbers', () => {
    expect(() => parseAuditFlags({ auditLevel: 'Request' })).toThrow(/--audit-level must be None or Metadata/);
    expect(() => parseAuditFlags({ auditLogMaxsize: '0' })).toThrow(/--audit-log-maxsize must be a positive whole number/);
    expect(() => parseAuditFlags({ auditLogMaxbackup: '1.5' })).toThrow(UsageError);
  });
});
