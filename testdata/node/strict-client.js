'use strict';
// strict-client.js SOCKPATH — a seed-protocol client that checks every reply
// against what it asked, for tests that inject into its connection. It
// connects, waits for the server's registration, then takes commands, one
// per line on stdin:
//   calls N [W]   N pipelined add(i, 1) calls, at most W (default 16) in
//                 flight; prints "ok N" once all are answered
//   rid X         the next call's rid is X (then counting up again)
//   quit          closes the connection and exits 0
// It exits 1, saying why on stderr, on any message it did not ask for: a
// reply whose rid it has not in flight, or whose data is not i+1.
const net = require('net');
const readline = require('readline');
const sockPath = require('./lib/sockpath');

const path = process.argv[2];
if (!path) {
    console.error('usage: node strict-client.js SOCKPATH');
    process.exit(2);
}

let nextRid = 1;
const inFlight = new Map(); // rid -> expected data
let batch = null;            // {left, window, toSend, done}

const socket = net.connect(sockPath(path));
let registered = false;
let buffer = '';

function fail(why) {
    console.error('strict-client: ' + why);
    process.exit(1);
}

function pump() {
    while (batch && batch.toSend > 0 && inFlight.size < batch.window) {
        const rid = nextRid++;
        const i = batch.toSend--;
        if (inFlight.has(rid)) fail('rid ' + rid + ' would be in flight twice');
        inFlight.set(rid, i + 1);
        socket.write(JSON.stringify({ rid: rid, method: 'add', args: [i, 1] }) + '\n');
    }
    if (batch && batch.left === 0) {
        const n = batch.n;
        batch = null;
        console.log('ok ' + n);
        next();
    }
}

socket.on('data', (buf) => {
    buffer += buf.toString('utf8');
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        let msg;
        try { msg = JSON.parse(line); } catch (e) { fail('not JSON: ' + line); }
        if (msg.action === 'register') {
            if (registered) fail('registered twice');
            registered = true;
            console.log('registered');
            next();
            continue;
        }
        if (!inFlight.has(msg.rid)) fail('a reply I never asked for: ' + line);
        const want = inFlight.get(msg.rid);
        if (!msg.success || msg.data !== want) fail('wrong reply to rid ' + msg.rid + ': ' + line + ' (want data ' + want + ')');
        inFlight.delete(msg.rid);
        if (batch) batch.left--;
        pump();
    }
});
socket.on('error', (err) => fail(err.message));
socket.on('close', () => { if (!quitting) fail('the connection closed'); });

let quitting = false;
const commands = [];
let waiting = null;
readline.createInterface({ input: process.stdin }).on('line', (line) => {
    commands.push(line.trim());
    if (waiting) { const w = waiting; waiting = null; w(); }
});

function next() {
    if (!registered || batch) return;
    if (commands.length === 0) { waiting = next; return; }
    const [cmd, a, b] = commands.shift().split(/\s+/);
    if (cmd === 'calls') {
        const n = parseInt(a, 10);
        batch = { n: n, left: n, toSend: n, window: b ? parseInt(b, 10) : 16 };
        pump();
    } else if (cmd === 'rid') {
        nextRid = parseInt(a, 10);
        console.log('rid ' + nextRid);
        next();
    } else if (cmd === 'quit') {
        quitting = true;
        if (inFlight.size > 0) fail(inFlight.size + ' calls unanswered at quit');
        socket.end();
        process.exit(0);
    } else if (cmd !== '') {
        fail('unknown command ' + cmd);
    } else {
        next();
    }
}
