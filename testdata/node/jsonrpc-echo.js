'use strict';
// jsonrpc-echo.js SOCKPATH — a line-delimited JSON-RPC 2.0 server on SOCKPATH
// (same framing as the seed protocol: one JSON text per '\n'). Prints
// "listening" on stdout when ready.
// What it answers: lib/jsonrpc-echo.js.
const net = require('net');
const serve = require('./lib/jsonrpc-echo');
const listen = require('./lib/listen');

const path = process.argv[2];
if (!path) {
    console.error('usage: node jsonrpc-echo.js SOCKPATH');
    process.exit(2);
}

const server = net.createServer((socket) => {
    socket.on('error', (err) => console.error('client:', err.message));
    serve(socket, (m) => socket.write(JSON.stringify(m) + '\n'));
});

listen(server, path);
