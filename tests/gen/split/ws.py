#!/usr/bin/python3
# WebSocket over TLS peers (python3-websockets, Debian 12: 10.4), trimmed from the
# acceptance tester's pyws.py to the "split" run.
#   ws.py server PORT CERT KEY     TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305; answers every text
#                                  message with JSON holding a token, logs what it receives
#   ws.py client PORT KEYLOG       two connections to /split (server not verified):
#     1. no compression: a password split over two fragments (the 2nd fragment is 32 bytes,
#        so its frame header is 0x80 0x20, a space), a secret at the very end of a message
#        followed by another message, then a short message
#     2. permessage-deflate: one 100 KB message with a Bearer token every 37 bytes
#        (tlsredact re-frames the inflated message in 16 KiB frames)
import asyncio, json, ssl, sys
import websockets
mode = sys.argv[1]
if mode == 'server':
    port, cert, key = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers('ECDHE-RSA-CHACHA20-POLY1305')
    async def handler(ws, path=None):
        async for m in ws:
            print('recv', len(m), m[:80], flush=True)
            await ws.send(json.dumps({"echo_len": len(m), "token": "accept-sec-wstoken-7f3a9"}))
    async def main():
        async with websockets.serve(handler, '127.0.0.1', port, ssl=ctx, max_size=None):
            print('ready', flush=True)
            await asyncio.Future()
    asyncio.run(main())
else:
    port, keylog = int(sys.argv[2]), sys.argv[3]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.keylog_filename = keylog
    async def split():
        uri = 'wss://localhost:%d/split' % port
        async with websockets.connect(uri, ssl=ctx, compression=None, max_size=None) as ws:
            f2 = 'wssplitB-7f3a9'.ljust(32, '_')
            await ws.send(iter(['x password=accept-sec-wssplitA-', f2]))
            print(await ws.recv())
            await ws.send('token=accept-sec-wsnexthdr-7f3a9')
            print(await ws.recv())
            await ws.send('hello after')
            print(await ws.recv())
        async with websockets.connect(uri, ssl=ctx, compression='deflate', max_size=None) as ws:
            big = 'BIG ' + ''.join('n%05d Bearer accept-sec-wsdense-7f3a9 ' % i for i in range(2800))
            await ws.send(big)
            print(await ws.recv())
    asyncio.run(split())
