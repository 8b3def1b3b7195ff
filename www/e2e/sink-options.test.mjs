// The upload sinks check their options when made, before anything records: a TypeError
// or RangeError whose message names the option. (Plain Node: the modules as shipped.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tusSink } from '../../js/tus.js';
import { webSocketSink } from '../../js/websocket.js';

const cases = [
  [tusSink, undefined, TypeError, 'options must be an object'],
  [tusSink, {}, TypeError, 'options.endpoint'],
  [tusSink, { endpoint: 'ftp://host/files/' }, TypeError, 'options.endpoint must be an http(s) URL (got ftp:)'],
  [tusSink, { endpoint: 'http://[bad' }, TypeError, 'options.endpoint is not a URL'],
  [tusSink, { endpoint: 'https://h/f/', chunkSize: 0 }, RangeError, 'options.chunkSize'],
  [tusSink, { endpoint: 'https://h/f/', chunkSize: '1' }, TypeError, 'options.chunkSize'],
  [tusSink, { endpoint: 'https://h/f/', retryDelays: [0, -1] }, RangeError, 'options.retryDelays'],
  [tusSink, { endpoint: 'https://h/f/', headers: { a: 1 } }, TypeError, 'options.headers.a'],
  [tusSink, { endpoint: 'https://h/f/', metadata: [] }, TypeError, 'options.metadata'],
  [tusSink, { endpoint: 'https://h/f/', chunksize: 5 }, TypeError, 'options.chunksize is not an option'],
  [webSocketSink, {}, TypeError, 'options.url'],
  [webSocketSink, { url: 'https://h/video-stream' }, TypeError, 'options.url must be a ws(s) URL (got https:)'],
  [webSocketSink, { url: 'ws://h/v', reconnectAttempts: -1 }, RangeError, 'options.reconnectAttempts'],
  [webSocketSink, { url: 'ws://h/v', highWaterMark: 0 }, RangeError, 'options.highWaterMark'],
  [webSocketSink, { url: 'ws://h/v', streamId: 7 }, TypeError, 'options.streamId'],
];

for (const [make, options, Kind, says] of cases) {
  test(`${make.name}(${JSON.stringify(options)}) is a ${Kind.name} naming the option`, () => {
    assert.throws(() => make(options), (e) => e instanceof Kind && e.message.includes(says) && e.message.startsWith(`${make.name}: `));
  });
}

test('good options make sinks with write and close', () => {
  for (const s of [tusSink({ endpoint: 'https://h/files/', headers: { Authorization: 'x' } }), webSocketSink({ url: 'wss://h/video-stream' })]) {
    assert.equal(typeof s.write, 'function');
    assert.equal(typeof s.close, 'function');
    assert.equal(typeof s.attach, 'function');
  }
});
