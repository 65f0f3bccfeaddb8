#!/usr/bin/python3
"""Write the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/)
from the test fixtures and a few hand-made edge cases.

    /usr/bin/python3 tests/fuzz/make_seed_corpus.py

Seeds are named seed-*; the script replaces only those, so regression
inputs (crash-*, named after the libFuzzer artifact) and inputs merged from
fuzzing runs stay. Input layouts: fuzz_common.c (4-byte header) and
fuzz_gzip.c (2 more bytes).
"""
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, 'tests', 'data')
OUT = os.path.join(ROOT, 'tests', 'fuzz', 'corpus')

# Header byte 0: 1 pull, 2 KVS only, 4 keep raw, 8 no validate,
# 0x10 small limits, 0x20 fail an allocation. Bytes 1..3: chunk codes
# (<128: code+1 bytes, else (code-127)*512 bytes).
HEADERS = [
    bytes([0x00, 254, 254, 254]),  # callback, whole input
    bytes([0x05, 0, 6, 30]),       # pull, keep raw, 1/7/31-byte chunks
    bytes([0x06, 3, 200, 1]),      # callback, KVS only, keep raw, mixed
    bytes([0x29, 130, 2, 17]),     # pull, no validate, fail allocation 18
    bytes([0x14, 9, 8, 40]),       # keep raw, small limits
]

FIXTURES = [
    'seed-mended.json', 'seed-published.json',
    'fixtures/array-of-events.json', 'fixtures/deep-nesting.json',
    'fixtures/digest-file.json', 'fixtures/eventbridge.jsonl',
    'fixtures/json-lines-crlf.jsonl', 'fixtures/kvs-webrtc-single-event.json',
    'fixtures/mistyped-values.json', 'fixtures/not-cloudtrail.json',
    'fixtures/records-minified.json', 'fixtures/single-event.json',
    'fixtures/stratus-array.json', 'fixtures/truncated-log.json',
    'fixtures/trailscraper-log.json.gz',
    'fixtures/cloudwatch-logs.jsonl', 'fixtures/cloudwatch-logs.json.gz',
    'fixtures/cloudwatch-logs-bad.jsonl', 'fixtures/cloudwatch-logs-array.json',
    'fixtures/cloudwatch-awslogs.jsonl', 'fixtures/cloudwatch-awslogs-array.json',
    'fixtures/cloudwatch-awslogs-bad.jsonl',
]

# KVS data events (issue 16): the whole fixtures, and each record alone as
# a single event (small seeds the fuzzer mutates member by member).
DATA_EVENT_FIXTURES = ['fixtures/kvs-data-events.json',
                       'fixtures/kvs-data-events-invalid.json']

EDGE = {
    'empty-records': b'{"Records":[]}',
    'records-not-array': b'{"Records":{"eventName":"A"}}',
    'two-logs': b'{"Records":[{"eventName":"A"}]}{"Records":[{"eventName":"B"}]}',
    'bom': b'\xef\xbb\xbf{"Records":[{"eventName":"A"}]}',
    'nul-escape': b'{"eventName":"Create\\u0000Stream","eventSource":"kinesisvideo.amazonaws.com"}',
    'surrogates': b'{"eventName":"\\ud83d\\ude00","userAgent":"\\udc00"}',
    'bad-utf8': b'{"Records":[{"eventName":"\xc0\x80","userAgent":"\xed\xa0\x80"}]}',
    'big-numbers': b'{"Records":[{"eventName":"UpdateDataRetention","eventSource":'
                   b'"kinesisvideo.amazonaws.com","requestParameters":{"dataRetentionChangeInHours":'
                   b'99999999999999999999999,"currentVersion":-0.0e-400}}]}',
    'duplicate-keys': b'{"eventName":"A","eventName":"CreateStream","eventSource":"x",'
                      b'"eventSource":"kinesisvideo.amazonaws.com","requestParameters":{},'
                      b'"requestParameters":{"streamName":"s"}}',
    'deep-request': b'{"eventName":"TagStream","eventSource":"kinesisvideo.amazonaws.com",'
                    b'"requestParameters":{"tags":' + b'[' * 70 + b']' * 70 + b'}}',
    'jsonl-broken-line': b'{"eventName":"A"}\n{"eventName":"B",}\n{"eventName":"C"}\n',
    'records-broken-middle': b'{"Records":[{"eventName":"A"},{"eventName":B},{"eventName":"C"}]}',
    'eventbridge-no-detail': b'{"detail-type":"AWS API Call via CloudTrail","source":"aws.kinesisvideo"}',
    'top-scalar': b'42',
    'cloudwatch-control': b'{"messageType":"CONTROL_MESSAGE","logEvents":[{"message":"CWL"}]}',
    'cloudwatch-messages': b'{"messageType":"DATA_MESSAGE","logEvents":[{"message":'
                           b'"{\\"eventName\\":\\"A\\",\\"x\\":[{}]}"},{"message":"{"},'
                           b'{"message":"\\u007b\\"eventID\\":1}"},{"message":7},{}]}'
                           b'{"messageType":"DATA_MESSAGE","logEvents":{}}',
    'lookup-paths': b'{"eventName":"CreateStream","eventSource":"kinesisvideo.amazonaws.com",'
                    b'"requestParameters":{"tags":{"a/b":"1","~":"2"},"streamName":"s"},'
                    b'"resources":[{"ARN":"arn:aws:kinesisvideo:us-east-1:123456789012:stream/s/1"}],'
                    b'"responseElements":[1,2]}',
}


# fuzz_digest: digest files (KVST_FLAG_DIGESTS), and what is almost one.
DIGEST_FIXTURES = ['fixtures/digest-file.json', 'fixtures/digest-start.json',
                   'fixtures/digest-broken-fields.json']
DIGEST_EDGE = {
    'only-start-time': b'{"digestStartTime":"2025-10-21T00:00:00Z"}',
    'fingerprint-number': b'{"digestPublicKeyFingerprint":7,"logFiles":null}',
    'log-files-mixed': b'{"digestS3Bucket":"b","logFiles":[{},[],null,"x",{"hashValue":'
                       b'"' + b'A' * 64 + b'","hashAlgorithm":"SHA-256","s3Object":1}]}',
    'digest-then-log': b'{"digestStartTime":"2025-10-21T00:00:00Z","logFiles":[]}'
                       b'{"Records":[{"eventName":"A"}]}',
    'digest-in-array': b'[{"digestStartTime":"2025-10-21T00:00:00Z","logFiles":[]}]',
    'escaped-hash': b'{"digestStartTime":"2025-10-21T00:00:00Z","previousDigestHashValue":'
                    b'"\\u0030' + b'0' * 63 + b'","previousDigestSignature":"\\u0061b"}',
}


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(data)


def fixtures():
    for rel in FIXTURES:
        with open(os.path.join(DATA, rel), 'rb') as f:
            yield os.path.basename(rel), f.read()


def data_event_seeds():
    for rel in DATA_EVENT_FIXTURES:
        with open(os.path.join(DATA, rel), 'rb') as f:
            data = f.read()
        base = os.path.basename(rel)
        yield base, data
        stem = base[:-len('.json')]
        for i, rec in enumerate(json.loads(data)['Records']):
            yield ('%s-%02d-%s' % (stem, i, rec.get('eventName', 'none')),
                   json.dumps(rec, separators=(',', ':')).encode())


def walk(value, key=None):
    """Every (key, value) pair of a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, key)


def json_docs():
    for rel in FIXTURES:
        path = os.path.join(DATA, rel)
        if rel.endswith('.gz'):
            continue
        text = open(path, 'rb').read().decode('utf-8', 'replace')
        try:
            yield json.loads(text)
        except ValueError:
            for line in text.splitlines():
                try:
                    yield json.loads(line)
                except ValueError:
                    pass


def main():
    for target in ('fuzz_parser', 'fuzz_gzip', 'fuzz_recover', 'fuzz_identity',
                   'fuzz_validators', 'fuzz_fastlex', 'fuzz_digest'):
        for old in glob.glob(os.path.join(OUT, target, 'seed-*')):
            os.remove(old)

    for i, (name, data) in enumerate(fixtures()):
        write('fuzz_parser', name, HEADERS[i % len(HEADERS)] + data)
        # every other one gzip-compressed by the target (header bit 0x40)
        head = HEADERS[i % len(HEADERS)]
        write('fuzz_fastlex', name, bytes([head[0] | (0x40 if i % 2 else 0)]) + head[1:] + data)
        if not name.endswith('.gz') and len(data) < 8000:
            # members 1..4 by turn, level 6; one stored, one truncated
            g = [i % 4, 0x3b]
            if i % 5 == 3:
                g[0] |= 0x40
            if i % 7 == 5:
                g[0] |= 0x04
            write('fuzz_gzip', name, HEADERS[(i + 1) % len(HEADERS)] + bytes(g) + data)
    for name, data in data_event_seeds():
        head = HEADERS[len(name) % len(HEADERS)]
        write('fuzz_parser', name, head + data)
        write('fuzz_fastlex', name, bytes([head[0] | (0x40 if len(data) % 2 else 0)])
              + head[1:] + data)
    for name, data in EDGE.items():
        write('fuzz_parser', name, HEADERS[len(name) % len(HEADERS)] + data)
        write('fuzz_fastlex', name, HEADERS[len(name) % len(HEADERS)] + data)
        write('fuzz_recover', name, HEADERS[0] + data)
    write('fuzz_gzip', 'raw-deflate', HEADERS[0] + bytes([0x08, 0]) + b'\x03\x00')
    write('fuzz_gzip', 'trailer', HEADERS[1] + bytes([0x21, 0]) + EDGE['two-logs'])
    for name in ('seed-published.json', 'truncated-log.json', 'json-lines-crlf.jsonl',
                 'array-of-events.json'):
        rel = name if name.startswith('seed') else 'fixtures/' + name
        with open(os.path.join(DATA, rel), 'rb') as f:
            write('fuzz_recover', name, HEADERS[1] + f.read())

    for i, rel in enumerate(DIGEST_FIXTURES):
        with open(os.path.join(DATA, rel), 'rb') as f:
            write('fuzz_digest', os.path.basename(rel), HEADERS[i % len(HEADERS)] + f.read())
    for i, (name, data) in enumerate(DIGEST_EDGE.items()):
        write('fuzz_digest', name, HEADERS[i % len(HEADERS)] + data)

    identities, values = {}, set()
    for doc in json_docs():
        for key, value in walk(doc):
            if key == 'userIdentity' and isinstance(value, dict):
                text = json.dumps(value, separators=(',', ':')).encode()
                identities[text] = True
            elif isinstance(value, str) and len(value) < 300:
                values.add(value)
    for i, text in enumerate(sorted(identities)[:24]):
        write('fuzz_identity', '%02d.json' % i, text)
    write('fuzz_identity', 'escapes.json',
          b'{"type":"Assumed\\u0052ole","arn":"arn:aws:sts::123456789012:assumed-role/r\\/s",'
          b'"accessKeyId":"ASIA\\u0041","sessionContext":{"sessionIssuer":{"type":"Role",'
          b'"accountId":"210987654321"},"attributes":{"mfaAuthenticated":true}}}')
    write('fuzz_identity', 'not-object.json', b'["Root"]')
    write('fuzz_identity', 'nested-junk.json',
          b'{"type":"Root","x":{"type":"IAMUser","sessionContext":[{"y":null}]},"accountId":1}')

    lines = sorted(v for v in values if '\n' not in v)
    chunk = 40
    for i in range(0, len(lines), chunk):
        write('fuzz_validators', 'values-%02d' % (i // chunk),
              '\n'.join(lines[i:i + chunk]).encode())
    write('fuzz_validators', 'edges',
          b'\n'.join([b'0000-01-01T00:00:00Z', b'0000-02-29T23:59:59Z', b'2000-02-29T00:00:00Z',
                      b'1900-02-29T00:00:00Z', b'9999-12-31T23:59:60Z', b'1.', b'.8', b'01.0008',
                      b'arn:aws:kinesisvideo:us-east-1:123456789012:stream/s/', b'arn:::::',
                      b'arn:a:b:c:d:e/f/9', b'a' * 257, b'us-gov-west-east-1', b'us-east-1000',
                      b'\xf0\x9f\x98\x80' * 129, b'::ffff:255.255.255.256', b'1:2:3:4:5:6:7::',
                      b'video/h264,', b'AWS Internal', b' kinesisvideo.amazonaws.com',
                      b'192.0.2.1, 10.0.0.1', b'192.0.2.1,', b', ::1', b'10.0.0.1 ,  ::ffff:1.2.3.4']))
    sigma_seeds()
    return 0


def sigma_seeds():
    """fuzz_sigma_compile: a flags byte then a rule text; fuzz_sigma_match:
    a rule text, a line "#events", then events. From the engine's test
    rules (tests/sigma/engine) and their events."""
    engine = os.path.join(ROOT, 'tests', 'sigma', 'engine')
    for old in glob.glob(os.path.join(OUT, 'fuzz_sigma_*', 'seed-*')):
        os.remove(old)
    for path in sorted(glob.glob(os.path.join(engine, '*.yml'))):
        stem = os.path.basename(path)[:-4]
        with open(path, 'rb') as f:
            rule = f.read()
        write('fuzz_sigma_compile', stem + '.yml', b'\x00' + rule)
        write('fuzz_sigma_compile', stem + '-small.yml', b'\x01' + rule)
        for kind in ('match', 'nomatch'):
            with open(os.path.join(engine, 'tests', '%s.%s.jsonl' % (stem, kind)), 'rb') as f:
                write('fuzz_sigma_match', '%s-%s' % (stem, kind),
                      rule + b'\n#events\n' + f.read())
    write('fuzz_sigma_compile', 'alias-bomb.yml',
          b'\x00title: b\nlogsource: {product: aws, service: cloudtrail}\n'
          b'x: &a [v, v, v, v, v, v, v, v]\ny: &b {f: *a, g: *a, h: *a}\n'
          b'detection:\n  s: [*b, *b, *b, *b]\n  condition: s\n')
    write('fuzz_sigma_compile', 'deep-condition.yml',
          b'\x01title: d\nlogsource: {product: aws, service: cloudtrail}\n'
          b'detection:\n  s: {a: 1}\n  condition: ' + b'not ' * 40 + b'(((((s)))))\n')


if __name__ == '__main__':
    sys.exit(main())
