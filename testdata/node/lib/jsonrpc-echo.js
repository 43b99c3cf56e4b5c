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
// A batch (an array) is answered as JSON-RPC 2.0 says, by one array of the
// replies to its requests, here in reverse order (the spec allows any);
// nothing for a batch of notifications; an element that is not an object
// gets a -32600 error with a null id; an empty batch one -32600 error
// object, not an array.
const StringDecoder = require('string_decoder').StringDecoder;

const invalid = { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } };

// answer returns the reply to one request, or null for a notification.
function answer(msg, send) {
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
        return invalid;
    }
    if (!('id' in msg)) {
        if (msg.method === 'ping') {
            send({ jsonrpc: '2.0', method: 'pong', params: msg.params });
        }
        return null;
    }
    if (msg.method === 'echo') {
        return { jsonrpc: '2.0', id: msg.id, result: msg.params };
    } else if (msg.method === 'fail') {
        return { jsonrpc: '2.0', id: msg.id, error: { code: -32000, message: 'fail' } };
    }
    return { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } };
}

function handle(line, send) {
    let msg;
    try {
        msg = JSON.parse(line);
    } catch (err) {
        send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
        return;
    }
    if (!Array.isArray(msg)) {
        const reply = answer(msg, send);
        if (reply !== null) {
            send(reply);
        }
        return;
    }
    if (msg.length === 0) {
        send(invalid);
        return;
    }
    const replies = msg.map((m) => answer(m, send)).filter((r) => r !== null).reverse();
    if (replies.length > 0) {
        send(replies);
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
