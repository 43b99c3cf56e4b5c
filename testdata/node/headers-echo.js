'use strict';
// headers-echo.js SOCKPATH — a Content-Length framed (LSP) JSON-RPC server
// on SOCKPATH that answers each request with the header block it came with
// and its params: {"result": {"head": "<header lines as received>",
// "params": ...}}. Prints "listening" on stdout when ready.
const net = require('net');
const listen = require('./lib/listen');

const path = process.argv[2];
if (!path) {
    console.error('usage: node headers-echo.js SOCKPATH');
    process.exit(2);
}

function serve(socket) {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        for (;;) {
            const end = buf.indexOf('\r\n\r\n');
            if (end < 0) {
                return;
            }
            const head = buf.subarray(0, end + 4).toString('latin1');
            const m = /^content-length:[ \t]*(\d+)[ \t]*$/im.exec(head);
            if (!m) {
                console.error('no Content-Length in', JSON.stringify(head));
                socket.destroy();
                return;
            }
            const n = Number(m[1]);
            if (buf.length < end + 4 + n) {
                return;
            }
            const body = buf.subarray(end + 4, end + 4 + n).toString('utf8');
            buf = buf.subarray(end + 4 + n);
            const msg = JSON.parse(body);
            if (msg.id === undefined || msg.method === undefined) {
                continue;
            }
            const out = Buffer.from(JSON.stringify({jsonrpc: '2.0', id: msg.id, result: {head, params: msg.params}}), 'utf8');
            socket.write('Content-Length: ' + out.length + '\r\n\r\n');
            socket.write(out);
        }
    });
    socket.on('error', (err) => console.error('client:', err.message));
}

const server = net.createServer(serve);
listen(server, path);
