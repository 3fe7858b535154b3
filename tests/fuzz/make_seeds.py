#!/usr/bin/env python3
# Writes the seed corpora, tests/fuzz/corpus/<target>/ (checked in; rerun it
# after protocol changes: python3 tests/fuzz/make_seeds.py). Frames come from
# PROTOCOL.md's examples and the raw-string JSON literals of tests/core; the
# session scripts and state files are written here in the language of
# harness.h and the format of session_snapshot.cpp. JWT seeds are signed with
# the harness's kFuzzSecret.
import base64, glob, hashlib, hmac, json, os, re, shutil

root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
out = f'{root}/tests/fuzz/corpus'
shutil.rmtree(out, ignore_errors=True)

def write(target, name, text):
    d = f'{out}/{target}'
    os.makedirs(d, exist_ok=True)
    with open(f'{d}/{name}', 'wb') as f:
        f.write(text.encode() if isinstance(text, str) else text)

# ---- frames from the docs and the tests
proto = open(f'{root}/docs/PROTOCOL.md').read()
frames = []
for line in proto.splitlines():
    s = line.strip()
    if s.startswith('{') or s.startswith('['):
        frames.append(s.split('   ->')[0].strip())
        if '->' in s:
            frames.append(s.split('->', 1)[1].strip())
frames += [m for m in re.findall(r'`(\{[^`]*\})`', proto)]
frames = [f.replace(':T}', ':1700000000123}') for f in frames]
literals = []
for path in sorted(glob.glob(f'{root}/tests/core/*.cpp')):
    for m in re.findall(r'R"\((.*?)\)"', open(path).read()):
        if m and m[0] in '{["' or m[:1].isdigit():
            literals.append(m)
seen = set()
uniq = []
for f in frames + literals:
    if f not in seen:
        seen.add(f)
        uniq.append(f)
for i, f in enumerate(uniq):
    write('frame', f'{"protocol" if f in frames else "tests"}-{i:03d}', f)
print('frame seeds', len(uniq))

# ---- server scripts: first byte '1' = authenticated as alice first
server = {
    'protocol-session': '1\n{"type":"subscribe","channel":"room:7"}\n'
        '{"channel":"room:7","data":{"text":"hi"},"timestamp":1700000000123}\n'
        '{"channel":"room:7","data":{"text":"hi"},"timestamp":1700000000123,"id":1,"requireAck":true,"base":1}\n'
        '{"type":"ack","upTo":1}\n{"type":"ping","timestamp":5}\n{"type":"unsubscribe","channel":"room:7"}\n',
    'own-auth': '0\n{"type":"auth","token":"$alice","window":4,"maxFrame":300}\n{"type":"subscribe","channel":"room:1"}\n'
        '[{"channel":"room:1","data":[1,2,3],"id":1,"requireAck":true},{"channel":"room:1","data":"x","id":2,"requireAck":true}]\n@\n@\n{"type":"ack","messageId":2}\n',
    'before-auth': '0\n{"type":"ping","timestamp":0}\n{"type":"subscribe","channel":"room:7"}\n',
    'auth-timeout': '0\n@10000\n',
    'bad-token': '0\n{"type":"auth","token":"e30.e30.e30"}\n',
    'resume': '1\n{"type":"subscribe","channel":"room:7"}\n{"channel":"room:7","data":1,"id":1,"requireAck":true}\n!drop\n'
        '{"channel":"room:7","data":2,"id":2,"requireAck":true,"base":2}\n{"type":"ack","upTo":2}\n',
    'resume-by-hand': '0\n{"type":"auth","token":"$alice"}\n{"type":"subscribe","channel":"room:2"}\n!drop\n'
        '{"type":"auth","token":"$alice","session":"$session","lastSeq":0}\n',
    'other-user-resume': '1\n!drop\n{"type":"auth","token":"$bob","session":"$session","lastSeq":3}\n',
    'replaced': '1\n{"type":"subscribe","channel":"room:7"}\n!open\n{"channel":"room:7","data":{},"id":1,"requireAck":true}\n',
    'restart': '1\n{"type":"subscribe","channel":"room:7"}\n{"channel":"room:7","data":{"a":1},"id":1,"requireAck":true}\n'
        '{"channel":"room:7","data":{"a":3},"id":3,"requireAck":true}\n!restart\n{"type":"ack","upTo":1}\n',
    'refresh': '1\n{"type":"refresh_token","token":"$alice"}\n{"type":"refresh_token","token":"$bob"}\n{"type":"refresh_token","token":"$noexp"}\n',
    'revoke': '0\n{"type":"auth","token":"$expiring"}\n{"type":"subscribe","channel":"lobby"}\n{"type":"refresh_token","token":"$alice"}\n',
    'expiry': '0\n{"type":"auth","token":"$expiring"}\n@60000\n{"type":"ping","timestamp":1}\n@60000\n',
    'noexp': '0\n{"type":"auth","token":"$noexp"}\n@3600000\n',
    'out-of-order': '1\n{"channel":"room:7","data":3,"id":3,"requireAck":true,"base":1}\n'
        '{"channel":"room:7","data":2,"id":2,"requireAck":true,"base":1}\n{"channel":"room:7","data":1,"id":1,"requireAck":true,"base":1}\n'
        '{"channel":"room:7","data":40,"id":40,"requireAck":true,"base":1}\n{"channel":"room:7","data":9,"id":9,"requireAck":true,"base":8}\n',
    'limits': '1\n' + ''.join('{"type":"subscribe","channel":"room:%d"}\n' % i for i in range(6)) +
        '{"channel":"admin","data":1}\n{"channel":"room:x","data":[[[[[[[[[1]]]]]]]]]}\n'
        '[{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}]\n[]\n{"channel":"","data":1}\n',
    'slow-consumer': '1\n{"type":"subscribe","channel":"room:7"}\n' +
        '{"channel":"room:7","data":"%s"}\n' % ('y' * 400) * 6 + '@\n',
    'too-large-for-client': '0\n{"type":"auth","token":"$alice","maxFrame":100}\n{"type":"subscribe","channel":"room:7"}\n'
        '{"channel":"room:7","data":"%s","id":1,"requireAck":true}\n' % ('z' * 120),
    'idle': '1\n@5000\n{"type":"ping","timestamp":1}\n',
    'errors': '1\n{"type":"error","code":"x"}\n{"type":"auth","token":"$alice"}\n{"type":"pong","timestamp":1}\n{"type":"auth_success","session":"s"}\n{"type":"warp"}\n{\n',
}
for name, text in server.items():
    write('server', name, text)
# The tests' frames, eight to a script.
msgs = [f for f in literals if '"type"' in f or '"channel"' in f]
n = 0
for i in range(0, len(msgs), 8):
    write('server', f'tests-{n:02d}', '1\n' + ''.join(f + '\n' for f in msgs[i:i + 8]))
    n += 1
print('server seeds', len(server) + n)

# ---- client scripts: server frames; bit 1 = pre-queued sends, 2 = expiring token, 4 = small limits
ok = '{"type":"auth_success","session":"s1","permissions":["publish:room:*","subscribe:room:*"],"userId":"alice","window":16,"maxFrame":4096,"maxBatch":8}'
client = {
    'protocol-session': '1\n' + ok + '\n{"type":"subscribed","channel":"room:7"}\n{"type":"ack","upTo":2}\n'
        '{"channel":"room:7","data":{"text":"hi"},"timestamp":1700000000123}\n'
        '{"channel":"room:7","data":{"text":"hi"},"timestamp":1700000000123,"id":1,"requireAck":true,"base":1}\n'
        '{"type":"ping","timestamp":7}\n{"type":"pong","timestamp":0}\n',
    'resume': '1\n' + ok + '\n+pub\n!1006\n@\n{"type":"auth_success","session":"s1","resumed":true,"lastSeq":1}\n{"type":"ack","messageId":3}\n',
    'fresh-after-drop': '1\n' + ok + '\n!R1001\n@\n{"type":"auth_success","session":"s2","resumed":false}\n{"type":"ack","upTo":3}\n',
    'auth-failed': '0\n{"type":"auth_failed","code":"token_expired","reason":"token rejected"}\n+token\n' + ok + '\n',
    'closes': '1\n' + ok + '\n!4001\n@\n!4003\n+token\n@\n!1009\n@\n!L1009\n@\n!4005\n@\n!4008\n@\n!1013\n@\n',
    'too-big-in-auth': '4\n!R1009\n@\n',
    'permission-denied': '1\n' + ok + '\n{"type":"permission_denied","channel":"room:7","action":"publish","messageId":1,"code":"permission_denied","reason":"..."}\n'
        '{"type":"permission_denied","channel":"room:7","action":"subscribe","code":"too_many_subscriptions"}\n{"type":"ack","upTo":2}\n',
    'refresh': '2\n' + ok.replace('"maxBatch":8', '"expiresAt":1700000121000') + '\n@60000\n'
        '{"type":"token_refresh","newToken":"$alice","expiresAt":4102444800000,"permissions":["publish:room:*"]}\n'
        '+token\n{"type":"refresh_failed","code":"token_expired","reason":"..."}\n{"type":"token_refresh","newToken":"$expiring"}\n@60000\n',
    'revoked': '1\n' + ok + '\n{"type":"unsubscribed","channel":"room:7","code":"permission_revoked","reason":"..."}\n{"type":"unsubscribed","channel":"room:7"}\n',
    'reliable-in': '0\n' + ok + '\n{"channel":"room:7","data":3,"id":3,"requireAck":true,"base":1}\n'
        '[{"channel":"room:7","data":1,"id":1,"requireAck":true},{"channel":"room:7","data":2,"id":2,"requireAck":true}]\n'
        '+pause\n{"channel":"room:7","data":4,"id":4,"requireAck":true}\n{"channel":"room:7","data":5,"id":5,"requireAck":true}\n+resume\n'
        '{"channel":"room:7","data":9,"id":9,"requireAck":true,"base":8}\n',
    'retries': '1\n' + ok + '\n+pub\n+pub\n@\n@\n@\n@\n@\n@\n',
    'heartbeat': '0\n' + ok + '\n@1000\n@500\n@\n+now\n@\n',
    'limits': '5\n' + ok.replace('"maxFrame":4096', '"maxFrame":64').replace('"maxBatch":8', '"maxBatch":1') + '\n+big\n+pub\n+pub\n!R1009\n@\n'
        + ok + '\n+pub\n+pub\n+pub\n+pub\n+pub\n+pub\n+pub\n+pub\n+pub\n',
    'close-connect': '1\n' + ok + '\n+close\n+pub\n+connect\n' + ok + '\n+sub\n+unsub\n',
    'errors': '0\n{"channel":"room:7","data":1}\n' + ok + '\n' + ok + '\n{"type":"error","code":"malformed","reason":"offset 3: ..."}\n{"type":"auth","token":"x"}\n{"type":"warp"}\n[1]\n',
    'gave-up': '1\n!1006\n@\n!1006\n@\n!1006\n@\n!1006\n@\n!1006\n@\n+now\n',
}
for name, text in client.items():
    write('client', name, text)
n = 0
for i in range(0, len(msgs), 8):
    write('client', f'tests-{n:02d}', '1\n' + ok + '\n' + ''.join(f + '\n' for f in msgs[i:i + 8]))
    n += 1
print('client seeds', len(client) + n)

# ---- jwt: byte 0 even = a token; odd = HEADER\nPAYLOAD signed by the harness
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b'=').decode()
def token(header, payload, secret=b'fuzz-secret'):
    si = b64(header.encode()) + '.' + b64(payload.encode())
    return si + '.' + b64(hmac.new(secret, si.encode(), hashlib.sha256).digest())
H = '{"alg":"HS256","typ":"JWT"}'
claims = [
    '{"sub":"alice","exp":4102444800,"iat":1700000000,"permissions":["publish:room:*","subscribe:room:*"]}',
    '{"sub":"bob","permissions":["admin"]}',
    '{"sub":"alice","exp":1700000000.5,"iat":1699999999.25,"nbf":1700000000}',
    '{"sub":"alice","nbf":4102444800}',
    '{"sub":"","exp":4102444800}',
    '{"exp":4102444800}',
    '{"sub":"a","sub":"b"}',
    '{"sub":"a","exp":0}',
    '{"sub":"a","exp":-1,"iat":253402300800}',
    '{"sub":"a","permissions":"admin"}',
    '{"sub":"\\u00e9\\ud83d\\ude00","permissions":["\\u0000"]}',
]
for i, c in enumerate(claims):
    write('jwt', f'token-{i:02d}', '0' + token(H, c))
    write('jwt', f'claims-{i:02d}', '1' + c)
for i, h in enumerate(['{"alg":"none"}', '{"alg":"HS256","crit":["x"]}', '{"alg":"HS256","alg":"HS256"}', '{"typ":"JWT"}', '[]']):
    write('jwt', f'header-{i:02d}', '1' + h + '\n' + claims[0])
write('jwt', 'token-bad-sig', '0' + token(H, claims[0], b'other'))
write('jwt', 'token-padded', '0' + token(H, claims[0]) + '==')
write('jwt', 'token-noncanonical', '0eyJhbGciOiJIUzI1NiJ9.e30.AB')
write('jwt', 'token-segments', '0a.b.c.d')
print('jwt seeds', len(os.listdir(f'{out}/jwt')))

# ---- state files, in the format snapshot_sessions writes
def pending(mid, seq, data, reliable=True, ch='room:7', old=False):
    p = {'messageId': mid, 'channel': ch, 'timestamp': 1700000000123, 'reliable': reliable, 'seq': seq}
    if old:
        p['data'] = data  # the format before "dataText"
    else:
        p['dataText'] = data if isinstance(data, str) else json.dumps(data, separators=(',', ':'))
    return p
def session(sid, **kw):
    s = {'id': sid, 'subject': 'alice', 'expiresAt': 4102444800000, 'issuedAt': 1700000000000,
         'permissions': ['publish:room:*', 'subscribe:room:*'], 'subscriptions': ['room:7'],
         'nextMessageId': 1, 'deliveredUpTo': 0, 'nextSeq': 1, 'inFlight': [], 'queued': []}
    s.update(kw)
    return s
def state(sessions, app=''):
    return json.dumps({'version': 1, 'sessions': sessions, 'app': app}, separators=(',', ':'))
write('state_file', 'empty', state([]))
write('state_file', 'one-idle', state([session('0123456789abcdef0123456789abcdef')], '{"lobby":[]}'))
write('state_file', 'in-flight', state([session('s1', nextMessageId=6, deliveredUpTo=4, nextSeq=6,
    inFlight=[pending(2, 2, {'a': 1}), pending(3, 3, [1, 2]), pending(5, 5, None)],
    queued=[pending(6, 0, '"x"'), pending(0, 0, 1e3, False)])]))
write('state_file', 'two-users', state([session('s1'), session('s2', subject='bob', permissions=['admin'], subscriptions=[],
    queued=[pending(1, 0, {'deep': [[[]]]})], nextMessageId=2)], 'app'))
write('state_file', 'wide-numbers', state([session('s3', nextSeq=3, inFlight=[pending(1, 1, '{"big":1e400}'), pending(2, 2, '123456789012345678901234567890')],
    queued=[pending(3, 0, '')])]))
write('state_file', 'old-format', state([session('s1', nextMessageId=3, nextSeq=3,
    inFlight=[pending(1, 2, {'a': [1, 2.5, None]}, old=True)], queued=[pending(2, 0, 'x', old=True)])]))
write('state_file', 'bad-version', '{"version":2,"sessions":[]}')
write('state_file', 'bad-entry', state([{'id': 's1'}]))
print('state seeds', len(os.listdir(f'{out}/state_file')))

# ---- binary frames (PROTOCOL.md 5.1): records, and scripts that negotiate them
def varint(n):
    b = b''
    while n >= 0x80:
        b += bytes([(n & 0x7f) | 0x80])
        n >>= 7
    return b + bytes([n])

def record(channel, data, seq=0, base=0, ts=0):
    flags = (1 if seq else 0) | (2 if ts else 0)
    b = bytes([flags]) + varint(len(channel)) + channel
    if seq:
        b += varint(seq) + varint(base)
    if ts:
        b += varint(((ts << 1) ^ (ts >> 63)) & (2**64 - 1))
    return b + varint(len(data)) + data

write('frame', 'binary-example', record(b'room', b'\x01\x02\x03', 5, 3))
write('frame', 'binary-batch', record(b'room:7', b'', 1, 1, 1700000000000) + record(b'a', b'\xff\x00') +
      record(b'x' * 300, b'z', 2, 1))
# Server: auto-auth (bit 1) offering binary (bit 4), subscribe, binary publishes, an ack.
write('server', 'binary-publish', b'\x05{"type":"subscribe","channel":"room:7"}\n%' + record(b'room:7', b'hi', 1, 1) +
      record(b'room:7', b'u') + b'\n@500\n%' + record(b'room:7', b'again', 2, 1) + b'\n{"type":"ack","upTo":2}\n')
write('server', 'binary-unoffered', b'\x01%' + record(b'room:7', b'x', 1, 1) + b'\n')  # closed 1003
# Client: a server that agrees to binary, binary sends and deliveries; and one that does not.
write('client', 'binary-session', b'\x01{"type":"auth_success","session":"s1","binary":true}\n+bin\n+binu\n%' +
      record(b'room:7', b'payload', 1, 0) + b'\n@100\n%' + record(b'room:7', b'u') + b'\n')
write('client', 'binary-unnegotiated', b'\x00{"type":"auth_success","session":"s1"}\n+bin\n%' +
      record(b'room:7', b'x', 1, 0) + b'\n')
