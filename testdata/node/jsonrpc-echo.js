'use strict';
// jsonrpc-echo.js SOCKPATH — a line-delimited JSON-RPC 2.0 server on SOCKPATH
// (same framing as the seed protocol: one JSON text per '\n'). Prints
// "listening" on stdout when ready.
//   echo(params)   → {"jsonrpc":"2.0","id":…,"result":params}
//   fail           → {"jsonrpc":"2.0","id":…,"error":{"code":-32000,"message":"fail"}}
//   other methods  → error -32601 "Method not found"
//   no "id"        → a notification: no reply; a notification "ping" makes
//                    the server send its own notification {"method":"pong"}
// A line that is not JSON gets a -32700 parse error with a null id.
const net = require('net');
const fs = require('fs');
const StringDecoder = require('string_decoder').StringDecoder;
const sockPath = require('./lib/sockpath');

const path = process.argv[2];
if (!path) {
    console.error('usage: node jsonrpc-echo.js SOCKPATH');
    process.exit(2);
}

function handle(line, send) {
    let msg;
    try {
        msg = JSON.parse(line);
    } catch (err) {
        send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
        return;
    }
    if (!('id' in msg)) {
        if (msg.method === 'ping') {
            send({ jsonrpc: '2.0', method: 'pong', params: msg.params });
        }
        return;
    }
    if (msg.method === 'echo') {
        send({ jsonrpc: '2.0', id: msg.id, result: msg.params });
    } else if (msg.method === 'fail') {
        send({ jsonrpc: '2.0', id: msg.id, error: { code: -32000, message: 'fail' } });
    } else {
        send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
    }
}

const server = net.createServer((socket) => {
    const decoder = new StringDecoder('utf8');
    let buffer = '';
    const send = (m) => socket.write(JSON.stringify(m) + '\n');
    socket.on('error', (err) => console.error('client:', err.message));
    socket.on('data', (buf) => {
        buffer += decoder.write(buf);
        let i;
        while ((i = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, i);
            buffer = buffer.slice(i + 1);
            if (line.trim() !== '') {
                handle(line, send);
            }
        }
    });
});

const p = sockPath(path);
if (fs.existsSync(p)) {
    fs.unlinkSync(p);
}
function shutdown() {
    server.close();
    process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
server.listen(p, () => console.log('listening'));
