import { describe, expect, it } from 'vitest';
import { formatCliConfig, mayReplaceCliConfig, parseCliConfig } from '../../protocol/cli-config.js';

describe('the CLI config file', () => {
  it('round-trips and names a bad field', () => {
    const text = formatCliConfig({ server: 'https://127.0.0.1:7070', token: 't', certificateAuthority: '/d/pki/ca.crt' });
    expect(parseCliConfig(text)).toEqual({ server: 'https://127.0.0.1:7070', token: 't', certificateAuthority: '/d/pki/ca.crt' });
    expect(() => parseCliConfig('{"server": 1}')).toThrow(/^server:/);
  });

  describe('mayReplaceCliConfig: a hub replaces only its own config', () => {
    const mine = '/home/u/.drover/hub/pki/ca.crt';
    const exists = (p: string) => p === mine || p === '/tmp/other/pki/ca.crt';
    const config = (ca?: string) => formatCliConfig({ server: 'http://127.0.0.1:7070', token: 't', ...(ca ? { certificateAuthority: ca } : {}) });

    it('writes when there is none, or when it names this hub CA (absolute or relative to the file)', () => {
      expect(mayReplaceCliConfig(undefined, '/home/u/.drover/config.json', mine, exists)).toBe(true);
      expect(mayReplaceCliConfig(config(mine), '/home/u/.drover/config.json', mine, exists)).toBe(true);
      expect(mayReplaceCliConfig(config('hub/pki/ca.crt'), '/home/u/.drover/config.json', mine, exists)).toBe(true);
    });

    it("leaves another hub's config, a hand-written one and one it cannot parse", () => {
      expect(mayReplaceCliConfig(config('/tmp/other/pki/ca.crt'), '/home/u/.drover/config.json', mine, exists)).toBe(false);
      expect(mayReplaceCliConfig(config(), '/home/u/.drover/config.json', mine, exists)).toBe(false);
      expect(mayReplaceCliConfig(config('-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----'), '/home/u/.drover/config.json', mine, exists)).toBe(false);
      expect(mayReplaceCliConfig('{ not json', '/home/u/.drover/config.json', mine, exists)).toBe(false);
      expect(mayReplaceCliConfig('', '/home/u/.drover/config.json', mine, exists)).toBe(false);
    });

    it('replaces a config whose CA file is gone (its hub and data dir are)', () => {
      expect(mayReplaceCliConfig(config('/tmp/deleted/pki/ca.crt'), '/home/u/.drover/config.json', mine, exists)).toBe(true);
    });
  });
});
