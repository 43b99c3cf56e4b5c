'use strict';
// jsonrpc-echo-stdio.js — jsonrpc-echo.js's server on stdin and stdout (a
// child to wrap): one JSON text per '\n' each way; echo answers with its
// params, fail with an error, anything else "Method not found". Exits when
// stdin ends.
const StringDecoder = require('string_decoder').StringDecoder;

function handle(line, send) {
    let msg;
    try {
        msg = JSON.parse(line);
    } catch (err) {
        send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
        return;
    }
    if (!('id' in msg)) {
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

const decoder = new StringDecoder('utf8');
let buffer = '';
const send = (m) => process.stdout.write(JSON.stringify(m) + '\n');
process.stdin.on('data', (buf) => {
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
process.stdin.on('end', () => process.exit(0));
console.error('jsonrpc-echo-stdio: ready');
