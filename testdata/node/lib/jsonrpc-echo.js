'use strict';
// The JSON-RPC 2.0 echo service of jsonrpc-echo.js (on a socket) and
// jsonrpc-echo-stdio.js (on stdio): serve(readable, send) answers every
// line-delimited request read from readable through send.
//   echo(params)   → {"jsonrpc":"2.0","id":…,"result":params}
//   fail           → {"jsonrpc":"2.0","id":…,"error":{"code":-32000,"message":"fail"}}
//   other methods  → error -32601 "Method not found"
//   no "id"        → a notification: no reply; a notification "ping" makes
//                    the server send its own notification {"method":"pong"}
// A line that is not JSON gets a -32700 parse error with a null id.
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

module.exports = function serve(readable, send) {
    const decoder = new StringDecoder('utf8');
    let buffer = '';
    readable.on('data', (buf) => {
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
};
