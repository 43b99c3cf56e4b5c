'use strict';
// jsonrpc-echo.js SOCKPATH — a line-delimited JSON-RPC 2.0 server on SOCKPATH
// (same framing as the seed protocol: one JSON text per '\n'). Prints
// "listening" on stdout when ready.
// What it answers: lib/jsonrpc-echo.js.
const net = require('net');
const fs = require('fs');
const serve = require('./lib/jsonrpc-echo');
const sockPath = require('./lib/sockpath');

const path = process.argv[2];
if (!path) {
    console.error('usage: node jsonrpc-echo.js SOCKPATH');
    process.exit(2);
}

const server = net.createServer((socket) => {
    socket.on('error', (err) => console.error('client:', err.message));
    serve(socket, (m) => socket.write(JSON.stringify(m) + '\n'));
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
