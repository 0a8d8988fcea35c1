import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../protocol/errors.js';
import { parseStoreLocation } from '../../../hub/store/store-location.js';

describe('--store', () => {
  it('defaults to SQLite in the data dir', () => {
    expect(parseStoreLocation(undefined)).toEqual({ kind: 'sqlite' });
    expect(parseStoreLocation('sqlite')).toEqual({ kind: 'sqlite' });
  });

  it('takes etcd members and an optional prefix', () => {
    expect(parseStoreLocation('etcd://10.0.0.1:2379,10.0.0.2:2379,[::1]:2379')).toEqual({
      kind: 'etcd',
      endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379', 'http://[::1]:2379'],
      prefix: '/drover/',
    });
    expect(parseStoreLocation('etcd://e:2379/site-a/')).toMatchObject({ prefix: '/site-a/' });
  });

  it('etcds:// needs the CA; a client certificate comes with its key', () => {
    expect(parseStoreLocation('etcds://e:2379', { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem' })).toEqual({
      kind: 'etcd',
      endpoints: ['https://e:2379'],
      prefix: '/drover/',
      tls: { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem' },
    });
    expect(() => parseStoreLocation('etcds://e:2379')).toThrow(/--etcd-ca: is required with etcds/);
    expect(() => parseStoreLocation('etcds://e:2379', { caFile: 'ca.pem', certFile: 'c.pem' })).toThrow(/--etcd-cert: and --etcd-key go together/);
  });

  it('names the bad part of a bad URL', () => {
    expect(() => parseStoreLocation('mysql://x')).toThrow(ValidationError);
    expect(() => parseStoreLocation('mysql://x')).toThrow(/--store: must be sqlite, etcd:\/\/HOST:PORT/);
    expect(() => parseStoreLocation('etcd://host-without-port')).toThrow(/"host-without-port" is not HOST:PORT/);
    expect(() => parseStoreLocation('etcd://e:2379', { caFile: 'ca.pem' })).toThrow(/use etcds:\/\//);
    expect(() => parseStoreLocation('sqlite', { caFile: 'ca.pem' })).toThrow(/only for an etcd/);
  });
});
