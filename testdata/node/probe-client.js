'use strict';
// probe-client.js SOCKPATH|HOST:PORT — a seed-protocol client that reports exactly
// what it receives, for tests of what sockscope's intercept and rules do to
// a connection. It connects, prints "registered" when the server's
// registration arrives, then takes commands, one per line on stdin:
//   call METHOD ARGS   sends {"rid":N,"method":METHOD,"args":ARGS} (ARGS is
//                      JSON, default []) with the next rid (from 1); prints
//                      "sent N"
//   quit               ends the connection and exits 0
// and prints, one line each, what comes back:
//   reply RID MS LINE  a JSON reply, MS milliseconds after its call was sent
//                      (-1: a rid it never sent), LINE as received
//   raw LEN            a line that is not JSON, LEN bytes long
//   closed             the server side ended the connection
//   error CODE         a socket error (ECONNRESET for a reset)
const net = require('net');
const readline = require('readline');
const sockPath = require('./lib/sockpath');

const path = process.argv[2];
if (!path) {
    console.error('usage: node probe-client.js SOCKPATH');
    process.exit(2);
}

let nextRid = 1;
const sentAt = new Map(); // rid -> hrtime of its call
const tcp = /^([\d.]+|\[[\da-f:]+\]|localhost):(\d+)$/i.exec(path); // HOST:PORT is TCP
const socket = tcp ? net.connect(Number(tcp[2]), tcp[1].replace(/^\[|\]$/g, '')) : net.connect(sockPath(path));
let registered = false;
let quitting = false;
let buffer = '';
const pending = [];

function run(line) {
    const m = /^(\S+)\s*(\S*)\s*(.*)$/.exec(line.trim());
    if (!m || m[1] === '') return;
    if (m[1] === 'call') {
        const rid = nextRid++;
        const args = m[3] ? JSON.parse(m[3]) : [];
        sentAt.set(rid, process.hrtime.bigint());
        socket.write(JSON.stringify({ rid: rid, method: m[2], args: args }) + '\n');
        console.log('sent ' + rid);
    } else if (m[1] === 'quit') {
        quitting = true;
        socket.end();
        process.exit(0);
    } else {
        console.error('probe-client: unknown command ' + m[1]);
        process.exit(2);
    }
}

socket.on('data', (buf) => {
    buffer += buf.toString('latin1');
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        let msg;
        try { msg = JSON.parse(line); } catch (e) { console.log('raw ' + line.length); continue; }
        if (msg && msg.action === 'register' && !registered) {
            registered = true;
            console.log('registered');
            pending.splice(0).forEach(run);
            continue;
        }
        const at = msg ? sentAt.get(msg.rid) : undefined;
        const ms = at === undefined ? -1 : Number((process.hrtime.bigint() - at) / 1000000n);
        console.log('reply ' + (msg ? msg.rid : 'none') + ' ' + ms + ' ' + line);
    }
});
socket.on('error', (err) => { console.log('error ' + (err.code || err.message)); });
socket.on('end', () => { if (!quitting) console.log('closed'); });
socket.on('close', () => { if (!quitting) process.exit(0); });

readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (registered) run(line); else pending.push(line);
});
