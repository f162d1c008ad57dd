import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameType, SpdyFrameParser, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, flagFin, uint32 } from '../../../agent/server/spdy/frames.ts';
import { HeaderCompressor, HeaderDecompressor } from '../../../agent/server/spdy/header-compression.ts';
import { spdy3HeaderDictionary } from '../../../agent/server/spdy/header-dictionary.ts';

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

describe('SPDY/3.1 framing', () => {
  it('has the SPDY/3 dictionary (Adler-32 e3c6a7c2, 1423 bytes)', () => {
    assert.equal(spdy3HeaderDictionary.length, 1423);
    assert.equal(adler32(spdy3HeaderDictionary).toString(16), 'e3c6a7c2');
  });

  it('parses frames split at any byte, and empty chunks', () => {
    const bytes = Buffer.concat([
      controlFrame(FrameType.Ping, 0, uint32(7)),
      dataFrame(5, flagFin, Buffer.from('hello')),
      controlFrame(FrameType.SynReply, 0, Buffer.concat([uint32(1), Buffer.from([1, 2, 3])])),
    ]);
    const parser = new SpdyFrameParser();
    const frames = [];
    for (let i = 0; i < bytes.length; i++) {
      frames.push(...parser.push(Buffer.alloc(0)), ...parser.push(bytes.subarray(i, i + 1)));
    }
    assert.equal(frames.length, 3);
    assert.deepEqual(frames[0], { kind: 'control', type: FrameType.Ping, flags: 0, payload: uint32(7) });
    assert.deepEqual(frames[1], { kind: 'data', streamId: 5, flags: flagFin, data: Buffer.from('hello') });
    assert.equal(frames[2]!.kind === 'control' && frames[2]!.type, FrameType.SynReply);
    assert.equal(bytes.subarray(0, 4).toString('hex'), '80030006');
  });

  it('rejects other SPDY versions', () => {
    const frame = controlFrame(FrameType.Ping, 0, uint32(1));
    frame.writeUInt16BE(0x8002, 0);
    assert.throws(() => new SpdyFrameParser().push(frame), /unsupported SPDY version 2/);
  });

  it('compresses header blocks as one zlib stream per direction with the dictionary and sync flushes', async () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    try {
      const first = await compressor.compress(encodeHeaderBlock([['streamtype', 'error'], ['port', '80'], ['requestid', '0']]));
      assert.equal(first.subarray(2, 6).toString('hex'), 'e3c6a7c2', 'FDICT names the SPDY dictionary');
      assert.equal(first.subarray(-4).toString('hex'), '0000ffff');
      const second = await compressor.compress(encodeHeaderBlock([['streamtype', 'data'], ['port', '80'], ['requestid', '0']]));
      assert.notEqual(second[0], 0x78, 'later blocks continue the stream without a zlib header');
      assert.deepEqual(decodeHeaderBlock(await decompressor.decompress(first)).get('streamtype'), ['error']);
      assert.deepEqual(decodeHeaderBlock(await decompressor.decompress(second)).get('streamtype'), ['data']);
    } finally {
      compressor.close();
      decompressor.close();
    }
  });

  it('decodes NUL-separated values and refuses truncated blocks', () => {
    const block = encodeHeaderBlock([['X-Multi', 'a\0b']]);
    assert.deepEqual(decodeHeaderBlock(block).get('x-multi'), ['a', 'b']);
    assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 1)), /truncated/);
  });
});
