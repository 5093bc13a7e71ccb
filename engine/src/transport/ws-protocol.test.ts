import { describe, expect, it } from 'vitest';
import {
  ClientMessageError,
  closeReason,
  encodeServerMessage,
  parseClientMessage,
  plainReason,
} from './ws-protocol.ts';

describe('Engine > WebSocket > Protocol', () => {
  it('should read both protocols into one client message type', () => {
    expect(parseClientMessage('{"type":"subscribe","id":"1","payload":{"query":"{a}"}}')).toEqual({
      type: 'start',
      id: '1',
      payload: { query: '{a}' },
    });
    expect(parseClientMessage('{"type":"start","id":"1","payload":{"query":"{a}"}}').type).toBe(
      'start',
    );
    expect(parseClientMessage('{"type":"complete","id":"1"}')).toEqual({ type: 'stop', id: '1' });
    expect(parseClientMessage('{"type":"stop","id":"1"}')).toEqual({ type: 'stop', id: '1' });
    expect(
      parseClientMessage('{"type":"connection_init","payload":{"headers":{"a":"b"},"x":1}}'),
    ).toEqual({ type: 'connection_init', payload: { headers: { a: 'b' } } });
    expect(parseClientMessage('{"type":"connection_init"}')).toEqual({
      type: 'connection_init',
      payload: null,
    });
  });

  it.each([
    ['not json', /^Error in \$: /],
    ['[]', /expected Object, but encountered Array/],
    ['{}', /key "type" not found/],
    ['{"type":"test"}', /unexpected type for ClientMessage: test/],
    ['{"type":"stop"}', /"id" not found/],
    ['{"type":"start","id":"1"}', /"payload" not found/],
    ['{"type":"start","id":2,"payload":{}}', /expected String, but encountered Number/],
    ['{"type":"connection_init","payload":{"headers":{"a":1}}}', /headers\['a'\]/],
  ])('should refuse %s with an Aeson-style message', (text, message) => {
    expect(() => parseClientMessage(text)).toThrow(ClientMessageError);
    expect(() => parseClientMessage(text)).toThrow(message);
  });

  it('should splice JSON payloads into frames in Hasura key order', () => {
    expect(encodeServerMessage({ type: 'next', id: 'a"b', payload: '{"data":{}}' })).toBe(
      '{"type":"next","id":"a\\"b","payload":{"data":{}}}',
    );
    expect(encodeServerMessage({ type: 'ka' })).toBe('{"type":"ka"}');
    expect(encodeServerMessage({ type: 'connection_error', payload: 'x' })).toBe(
      '{"type":"connection_error","payload":"x"}',
    );
  });

  it('should keep close reasons within a control frame', () => {
    expect(closeReason(4403, 'Forbidden')).toBe('{"server_error_msg":"4403: Forbidden"}');
    const long = closeReason(4400, 'x'.repeat(500));
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(123);
    expect(JSON.parse(long).server_error_msg).toMatch(/^4400: x+…$/);
    expect(Buffer.byteLength(plainReason('é'.repeat(200)))).toBeLessThanOrEqual(123);
  });
});
