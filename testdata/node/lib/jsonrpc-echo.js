'use strict';
// The JSON-RPC 2.0 echo service of jsonrpc-echo.js (on a socket) and
// jsonrpc-echo-stdio.js (on stdio): serve(readable, send) answers every
// line-delimited request read from readable through send.
//   echo(params)   → {"jsonrpc":"2.0","id":…,"result":params}
//   fail           → {"jsonrpc":"2.0","id":…,"error":{"code":-32000,"message":"fail"}}
//   other methods  → error -32601 "Method not found"
//   wait           → held, then {"result":"waited"} after 2 s, unless it is
//                    cancelled first: LSP's $/cancelRequest {"id":…} answers
//                    it at once with error -32800 "cancelled", MCP's
//                    notifications/cancelled {"requestId":…} leaves it
//                    unanswered
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

// answer returns the reply to one request, or null for a notification or
// a request held; waits holds the connection's waits by id.
function answer(msg, send, waits) {
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
        return invalid;
    }
    if (!('id' in msg)) {
        const params = msg.params || {};
        if (msg.method === 'ping') {
            send({ jsonrpc: '2.0', method: 'pong', params: msg.params });
        } else if (msg.method === '$/cancelRequest' || msg.method === 'notifications/cancelled') {
            const id = msg.method === '$/cancelRequest' ? params.id : params.requestId;
            const timer = waits.get(JSON.stringify(id));
            if (timer !== undefined) {
                clearTimeout(timer);
                waits.delete(JSON.stringify(id));
                if (msg.method === '$/cancelRequest') {
                    send({ jsonrpc: '2.0', id, error: { code: -32800, message: 'cancelled' } });
                }
            }
        }
        return null;
    }
    if (msg.method === 'wait') {
        const key = JSON.stringify(msg.id);
        waits.set(key, setTimeout(() => {
            waits.delete(key);
            send({ jsonrpc: '2.0', id: msg.id, result: 'waited' });
        }, 2000));
        return null;
    }
    if (msg.method === 'echo') {
        return { jsonrpc: '2.0', id: msg.id, result: msg.params };
    } else if (msg.method === 'fail') {
        return { jsonrpc: '2.0', id: msg.id, error: { code: -32000, message: 'fail' } };
    }
    return { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } };
}

function handle(line, send, waits) {
    let msg;
    try {
        msg = JSON.parse(line);
    } catch (err) {
        send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
        return;
    }
    if (!Array.isArray(msg)) {
        const reply = answer(msg, send, waits);
        if (reply !== null) {
            send(reply);
        }
        return;
    }
    if (msg.length === 0) {
        send(invalid);
        return;
    }
    const replies = msg.map((m) => answer(m, send, waits)).filter((r) => r !== null).reverse();
    if (replies.length > 0) {
        send(replies);
    }
}

module.exports = function serve(readable, send) {
    const decoder = new StringDecoder('utf8');
    const waits = new Map();
    let buffer = '';
    // What is held when the connection ends is never answered.
    readable.on('close', () => waits.forEach((timer) => clearTimeout(timer)));
    readable.on('data', (buf) => {
        buffer += decoder.write(buf);
        let i;
        while ((i = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, i);
            buffer = buffer.slice(i + 1);
            if (line.trim() !== '') {
                handle(line, send, waits);
            }
        }
    });
};
