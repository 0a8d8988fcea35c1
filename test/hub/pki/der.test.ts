import { describe, expect, it } from 'vitest';
import { objectIdentifier, smallInteger, time, tlv, unsignedInteger } from '../../../hub/pki/der.js';
import { ipAddressBytes } from '../../../hub/pki/x509.js';
import { PKI_ERROR_CODES } from '../../../hub/pki/errors.js';

describe('DER encoders', () => {
  it('encodes OIDs as X.690 says (base-128 arcs)', () => {
    expect(objectIdentifier('2.5.4.3').toString('hex')).toBe('0603550403');
    expect(objectIdentifier('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
  });

  it('keeps integers positive and minimal', () => {
    expect(smallInteger(2).toString('hex')).toBe('020102');
    expect(smallInteger(0).toString('hex')).toBe('020100');
    expect(unsignedInteger(Buffer.from([0x00, 0x00, 0x80])).toString('hex')).toBe('02020080');
  });

  it('uses long-form lengths past 127 bytes', () => {
    expect(tlv(0x04, Buffer.alloc(200)).subarray(0, 3).toString('hex')).toBe('0481c8');
    expect(tlv(0x04, Buffer.alloc(300)).subarray(0, 4).toString('hex')).toBe('0482012c');
  });

  it('writes UTCTime before 2050 and GeneralizedTime from 2050', () => {
    expect(time(new Date('2026-01-02T03:04:05Z')).toString('latin1').slice(2)).toBe('260102030405Z');
    expect(time(new Date('2026-01-02T03:04:05Z'))[0]).toBe(0x17);
    expect(time(new Date('2051-01-02T03:04:05Z')).toString('latin1').slice(2)).toBe('20510102030405Z');
    expect(time(new Date('2051-01-02T03:04:05Z'))[0]).toBe(0x18);
  });

  it('turns IPv4 and IPv6 addresses into their bytes', () => {
    expect(ipAddressBytes('10.1.2.3')?.toString('hex')).toBe('0a010203');
    expect(ipAddressBytes('::1')?.toString('hex')).toBe('00000000000000000000000000000001');
    expect(ipAddressBytes('fd00:1::20')?.toString('hex')).toBe('fd000001000000000000000000000020');
    expect(ipAddressBytes('::ffff:10.1.2.3')?.toString('hex')).toBe('00000000000000000000ffff0a010203');
    expect(ipAddressBytes('hub.local')).toBeUndefined();
  });

  it('has unique error codes', () => {
    const codes = Object.keys(PKI_ERROR_CODES);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
