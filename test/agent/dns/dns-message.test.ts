/** The DNS wire codec: round trips, name compression, truncation, and malformed input. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classIN, decodeMessage, DnsFormatError, encodeMessage, peekQuestion, RecordType, type DnsMessage } from '../../../agent/dns/dns-message.ts';

const flags = { qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: true, ad: false, cd: false, rcode: 0 };

function message(extra: Partial<DnsMessage> = {}): DnsMessage {
  return { id: 0x1234, flags, questions: [{ name: 'web.default.svc.cluster.local', type: RecordType.A, class: classIN }], answers: [], authorities: [], additionals: [], ...extra };
}

describe('dns-message', () => {
  it('round-trips every record kind it builds', () => {
    const msg = message({
      answers: [
        { name: 'web.default.svc.cluster.local', type: RecordType.A, class: classIN, ttl: 5, data: { kind: 'A', address: '10.96.0.10' } },
        { name: 'web.default.svc.cluster.local', type: RecordType.AAAA, class: classIN, ttl: 5, data: { kind: 'AAAA', address: 'fd00:0:0:0:0:0:0:1' } },
        { name: '_http._tcp.web.default.svc.cluster.local', type: RecordType.SRV, class: classIN, ttl: 5, data: { kind: 'SRV', srv: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' } } },
        { name: 'ext.default.svc.cluster.local', type: RecordType.CNAME, class: classIN, ttl: 5, data: { kind: 'name', target: 'www.example.test' } },
        { name: 'dns-version.cluster.local', type: RecordType.TXT, class: classIN, ttl: 5, data: { kind: 'TXT', texts: ['1.1.0'] } },
      ],
      authorities: [{ name: 'cluster.local', type: RecordType.SOA, class: classIN, ttl: 5, data: { kind: 'SOA', soa: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 42, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } } }],
      additionals: [{ name: '', type: RecordType.OPT, class: 1232, ttl: 0, data: { kind: 'raw', bytes: Buffer.alloc(0) } }],
    });
    assert.deepEqual(decodeMessage(encodeMessage(msg)), msg);
  });

  it('compresses repeated names', () => {
    const answers = Array.from({ length: 10 }, (_, i) => ({ name: 'web.default.svc.cluster.local', type: RecordType.A, class: classIN, ttl: 5, data: { kind: 'A' as const, address: `10.0.0.${i}` } }));
    const wire = encodeMessage(message({ answers }));
    // Header 12 + question 35 + 10 answers of (2-byte pointer + 10 fixed + 4 address).
    assert.equal(wire.length, 12 + 35 + 10 * 16);
  });

  it('drops the records and sets TC when the answer does not fit', () => {
    const answers = Array.from({ length: 60 }, (_, i) => ({ name: 'many.default.svc.cluster.local', type: RecordType.A, class: classIN, ttl: 5, data: { kind: 'A' as const, address: `10.0.1.${i}` } }));
    const decoded = decodeMessage(encodeMessage(message({ answers }), 512));
    assert.equal(decoded.flags.tc, true);
    assert.deepEqual(decoded.answers, []);
    assert.equal(decoded.questions.length, 1);
  });

  it('rejects malformed messages: truncation, forward pointers, bad lengths', () => {
    const wire = encodeMessage(message());
    assert.throws(() => decodeMessage(wire.subarray(0, 20)), DnsFormatError);
    const loop = Buffer.from(wire);
    loop.writeUInt16BE(0xc000 | 12, 12); // the question name points at itself
    assert.throws(() => decodeMessage(loop), DnsFormatError);
    assert.throws(() => decodeMessage(Buffer.alloc(5)), DnsFormatError);
    assert.deepEqual(peekQuestion(wire)?.question, { name: 'web.default.svc.cluster.local', type: RecordType.A, class: classIN });
  });
});
