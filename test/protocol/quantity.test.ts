import { describe, expect, it } from 'vitest';
import { cpuToMillis, formatBytes, isQuantity, memoryToBytes } from '../../protocol/index.js';

describe('quantities', () => {
  it('parses CPU', () => {
    expect(cpuToMillis('500m')).toBe(500);
    expect(cpuToMillis('2')).toBe(2000);
    expect(cpuToMillis(0.25)).toBe(250);
  });
  it('parses memory', () => {
    expect(memoryToBytes('128Mi')).toBe(128 * 1024 * 1024);
    expect(memoryToBytes('1G')).toBe(1e9);
    expect(memoryToBytes('1e3')).toBe(1000);
    expect(memoryToBytes('2Ki')).toBe(2048);
  });
  it('rejects garbage', () => {
    expect(isQuantity('lots')).toBe(false);
    expect(isQuantity('-1')).toBe(false);
    expect(() => memoryToBytes('12XB')).toThrow(/invalid quantity/);
  });
  it('formats bytes', () => {
    expect(formatBytes(2 ** 30)).toBe('1Gi');
    expect(formatBytes(3 * 2 ** 20)).toBe('3Mi');
  });
});
