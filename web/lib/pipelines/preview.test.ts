import { describe, expect, it } from 'vitest';
import { hexDump, hexToBytes, textPreview } from './preview';

const hex = (s: string | Uint8Array) => Buffer.from(s).toString('hex');

describe('Web > Pipelines > message preview', () => {
  it('should show UTF-8 text as text, markup as characters, controls and bad bytes as escapes', () => {
    expect(textPreview(hexToBytes(hex('{"t": "<script>alert(1)</script>", "°C": 1}\n')))).toBe(
      '{"t": "<script>alert(1)</script>", "°C": 1}\\n',
    );
    expect(textPreview(new Uint8Array([0x61, 0x00, 0xff, 0xc3, 0x28, 0x62]))).toBe(
      'a\\u{0}\\xff\\xc3(b',
    );
    // a right-to-left override cannot reorder what follows it on screen
    expect(textPreview(hexToBytes(hex('a\u202Eb')))).toBe('a\\u{202e}b');
  });

  it('should dump bytes 16 a line with offsets and printable ASCII', () => {
    const dump = hexDump(hexToBytes(hex('0123456789abcdef<x>')));
    expect(dump.split('\n')).toEqual([
      '000000  30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66  0123456789abcdef',
      `000010  ${'3c 78 3e'.padEnd(47)}  <x>`,
    ]);
  });
});
