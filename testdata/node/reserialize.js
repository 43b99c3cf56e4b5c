'use strict';
// reserialize.js SOCKPATH — a line-delimited JSON server that, like QEMU's
// QMP or any server decoding JSON into objects, parses each request and
// writes its id back spelt its own way: object keys in reverse order,
// every character outside ASCII and every '/' escaped (\u00e9, \/,
// surrogate pairs), numbers as JavaScript prints them (1.0 → 1), no
// whitespace. Greets each connection as QMP does. Prints "listening".
//   {"execute":C,"id":I}           → {"return":{"command":C},"id":I'}
//   {"jsonrpc":"2.0","method":M,"id":I} → {"jsonrpc":"2.0","result":M,"id":I'}
const net = require('net');
const fs = require('fs');
const StringDecoder = require('string_decoder').StringDecoder;

const path = process.argv[2];
if (!path) {
    console.error('usage: node reserialize.js SOCKPATH');
    process.exit(2);
}

// reorder rebuilds v with every object's keys in reverse order.
function reorder(v) {
    if (Array.isArray(v)) {
        return v.map(reorder);
    }
    if (v !== null && typeof v === 'object') {
        const out = {};
        for (const k of Object.keys(v).reverse()) {
            out[k] = reorder(v[k]);
        }
        return out;
    }
    return v;
}

// escape writes JSON text with non-ASCII characters (as UTF-16 units, so
// astral ones become surrogate pairs) and '/' escaped.
function escape(text) {
    return text.replace(/[\u0080-\uffff\/]/g, (c) =>
        c === '/' ? '\\/' : '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function reply(msg) {
    const id = reorder(msg.id);
    if ('execute' in msg) {
        return { return: { command: msg.execute }, id: id };
    }
    return { jsonrpc: '2.0', result: msg.method, id: id };
}

const server = net.createServer((socket) => {
    const decoder = new StringDecoder('utf8');
    let buffer = '';
    socket.on('error', (err) => console.error('client:', err.message));
    socket.write('{"QMP":{"version":{"qemu":{"major":9}},"capabilities":[]}}\n');
    socket.on('data', (buf) => {
        buffer += decoder.write(buf);
        let i;
        while ((i = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, i);
            buffer = buffer.slice(i + 1);
            if (line.trim() !== '') {
                socket.write(escape(JSON.stringify(reply(JSON.parse(line)))) + '\n');
            }
        }
    });
});

if (fs.existsSync(path)) {
    fs.unlinkSync(path);
}
process.on('SIGTERM', () => process.exit(0));
server.listen(path, () => console.log('listening'));
