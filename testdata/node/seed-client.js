'use strict';
// seed-client.js SOCKPATH — the article's demo client (Midway 5.0 socket IPC):
// connects, waits for the server's registration, then calls, in this order
// (rid = the per-connection counter from 1):
//   1 add(1,2,3,4,5)        → {"success":true,"rid":1,"data":15}
//   2 time(1,2,3,4,5)       → {"success":true,"rid":2,"data":120}, after 1 s
//   3 echo("héllo→世界")    → {"success":true,"rid":3,"data":"héllo→世界"}
//   4 nosuchmethod(6,7)     → {"success":false,"rid":4} (unknown method)
//   5 boom()                → {} (no rid), never answered
//   6 never()               → nothing
// It prints every message it receives (the registration first) as one JSON
// line on stdout, in arrival order. It exits 0 once rids 1–4 are answered and
// the {} has come, and tells stderr which calls got no reply; if those have
// not all come within 3 s it exits 1.
const Client = require('./lib/client');

const path = process.argv[2];
if (!path) {
    console.error('usage: node seed-client.js SOCKPATH');
    process.exit(2);
}

let rid = 0;
const service = {};
const requestQueue = new Map();
const client = new Client({ path: path });
let expected = 0;   // answers still to come for answerable calls
let unmatched = 0;  // messages with no request (the {} of boom)

function send() {
    rid++;
    let args = [].slice.call(arguments);
    const method = args.slice(0, 1)[0];
    const callback = args.slice(-1)[0];

    const req = {
        rid: rid,
        method: method,
        args: args.slice(1, -1)
    };

    requestQueue.set(rid, Object.assign({
        callback: callback
    }, req));

    client.send(req);
}

client.on('message', function(message) {
    console.log(JSON.stringify(message));
    if (message.action === 'register') {
        message.methods.forEach((method) => {
            service[method] = send.bind(null, method);
        });
        run();
        return;
    }
    const req = requestQueue.get(message.rid);
    if (!req) {
        // The article's client would throw here (req is undefined).
        unmatched++;
        check();
        return;
    }
    const callback = req.callback;
    if (message.success) {
        callback(null, message.data);
    } else {
        callback(new Error(message.error));
    }
    requestQueue.delete(message.rid);
});

client.socket.on('error', (err) => {
    console.error('seed-client:', err.message);
    process.exitCode = 1;
    finish();
});

function answered() {
    expected--;
    setImmediate(check); // after the handler has dequeued the request
}

function run() {
    expected = 4;
    service.add(1, 2, 3, 4, 5, answered);
    service.time(1, 2, 3, 4, 5, answered);
    service.echo('héllo→世界', answered);
    send('nosuchmethod', 6, 7, answered);
    service.boom(() => {});
    service.never(() => {});
}

function check() {
    if (expected === 0 && unmatched >= 1) {
        finish();
    }
}

const timer = setTimeout(() => {
    console.error(`seed-client: timed out with ${expected} answers and ${1 - unmatched} {} missing`);
    process.exitCode = 1;
    finish();
}, 3000);

function finish() {
    clearTimeout(timer);
    const left = [...requestQueue.values()].map((r) => `rid ${r.rid} (${r.method})`);
    if (left.length) {
        console.error('no reply: ' + left.join(', '));
    }
    client.socket.destroy();
}
